import Celery
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Serves a ``Dashboard`` over HTTP with Hummingbird 2.
///
/// ```swift
/// let server = try await DashboardServer(configuration: .init(brokerURL: "redis://127.0.0.1:6379/0",
///     backendURL: "mongodb://127.0.0.1/celery", credentials: .init(token: "s3cret")))
/// try await server.run()          // until cancelled
/// ```
///
/// Authentication is required: with no credentials on a loopback address a token is
/// generated (``generatedToken``, printed by `celery-dashboard`); on any other address the
/// initialiser refuses to start.
public final class DashboardServer: Sendable {
    /// The engine (state, handlers).
    public let dashboard: Dashboard
    /// The token generated because none was configured (loopback only), else `nil`.
    public let generatedToken: String?
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    private let portWaiters = Mutex<[CheckedContinuation<Int, Never>]>([])

    /// Validates the security settings, connects and starts listening to events (not yet to HTTP).
    public init(configuration: DashboardConfiguration, logger: Logger = Logger(label: "celery.dashboard")) async throws {
        var config = configuration
        var generated: String?
        if config.credentials.isEmpty {
            guard config.isLoopback else {
                throw DashboardError(
                    400, "refusing to listen on \(config.address) without credentials: give --basic-auth user:password or --api-token T (env CELERY_DASHBOARD_BASIC_AUTH, CELERY_DASHBOARD_TOKEN)")
            }
            generated = DashboardCredentials.generateToken()
            config.credentials.token = generated
        }
        generatedToken = generated
        self.logger = logger
        dashboard = try await Dashboard(configuration: config, logger: logger)
        try await dashboard.start()
    }

    /// The port the server listens on, once it is listening (waits until then).
    public func port() async -> Int {
        if let p = boundPort.withLock({ $0 }) { return p }
        return await withCheckedContinuation { c in
            let now = boundPort.withLock { p -> Int? in
                if let p { return p }
                portWaiters.withLock { $0.append(c) }
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    private func listening(on port: Int) {
        let waiters = boundPort.withLock { p -> [CheckedContinuation<Int, Never>] in
            p = port
            return portWaiters.withLock { w in defer { w.removeAll() }; return w }
        }
        for w in waiters { w.resume(returning: port) }
    }

    /// Serves until the task is cancelled (or SIGINT/SIGTERM with `handleSignals`), then closes connections.
    public func run(handleSignals: Bool = false) async throws {
        let dashboard = self.dashboard
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            var headers: [String: String] = [:]
            for f in request.headers { headers[f.name.canonicalName] = f.value }
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: HTTPInput.maxBody) } catch {
                return Self.response(413, [("Content-Type", "application/json")], Array(#"{"error":"request body too large (at most 1 MiB)","status":413}"#.utf8), events: nil)
            }
            let input = Dashboard.input(method: request.method.rawValue, uri: request.uri.string, headers: headers, body: Array(buffer: body))
            let out = await dashboard.handle(input)
            return Self.response(out.status, [("Content-Type", out.contentType)] + out.headers, out.body, events: out.events)
        }
        let c = dashboard.configuration
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(c.address, port: c.port), serverName: "celery-dashboard"),
            onServerRunning: { [self] channel in listening(on: channel.localAddress?.port ?? c.port) },
            logger: logger)
        defer { Task { await dashboard.close() } }
        if handleSignals { try await app.runService() } else { try await app.run() }
    }

    static func response(_ status: Int, _ headers: [(String, String)], _ body: [UInt8], events: AsyncStream<String>?) -> Response {
        var fields = HTTPFields()
        for (k, v) in headers { if let name = HTTPField.Name(k) { fields.append(HTTPField(name: name, value: v)) } }
        let st = HTTPResponse.Status(code: status)
        if let events {
            return Response(status: st, headers: fields, body: ResponseBody { writer in
                for await chunk in events { try await writer.write(ByteBuffer(string: chunk)) }
                try await writer.finish(nil)
            })
        }
        return Response(status: st, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
