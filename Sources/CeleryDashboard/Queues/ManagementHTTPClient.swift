import Celery
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client for JSON APIs (the RabbitMQ management API): one connection per
/// request (`Connection: close`), HTTP basic auth from the base URL's user and password,
/// TLS through NIOSSL for `https://`, one deadline per request covering connect, send and
/// the whole answer, and a cap on the answer's size. Errors are ``DashboardError``s (502,
/// 504 on timeout) naming the URL with its password masked.
final class ManagementHTTPClient: Sendable {
    /// An answer: status code and body.
    struct Response: Sendable {
        /// HTTP status code.
        var status: Int
        /// Body bytes (at most ``ManagementHTTPClient/maxBody``).
        var body: [UInt8]
    }

    /// Largest answer accepted, bytes (8 MiB: a `/api/queues` page of thousands of queues).
    static let maxBody = 8 << 20

    let scheme: String
    let host: String
    let port: Int
    /// Path prefix of the base URL without a trailing `/` (`""` for the root).
    let prefix: String
    private let authorization: String?
    /// The base URL with the password shown as `***`.
    let maskedURL: String
    /// Limit for one request from connect to the last byte of the answer. Default 5 s.
    let timeout: Duration
    private let sslContext: NIOSSLContext?

    /// Parses `http[s]://[user:password@]host[:port][/prefix]`.
    init(url: String, timeout: Duration = .seconds(5)) throws {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = c.host, !host.isEmpty
        else {
            throw DashboardError.badRequest("management API URL must look like http://user:password@host:15672/ (got \(Self.mask(url)))")
        }
        self.scheme = scheme
        self.host = host
        port = c.port ?? (scheme == "https" ? 443 : 80)
        var p = c.percentEncodedPath
        while p.hasSuffix("/") { p.removeLast() }
        prefix = p
        if let user = c.user {
            let cred = "\(user.removingPercentEncoding ?? user):\((c.password ?? "").removingPercentEncoding ?? c.password ?? "")"
            authorization = "Basic " + Data(cred.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        maskedURL = Self.mask(url)
        self.timeout = timeout
        if scheme == "https" {
            do { sslContext = try NIOSSLContext(configuration: .makeClientConfiguration()) } catch {
                throw DashboardError(502, "cannot set up TLS for \(maskedURL): \(error)")
            }
        } else {
            sslContext = nil
        }
    }

    /// The URL with any password replaced by `***`.
    static func mask(_ url: String) -> String {
        guard let at = url.range(of: "@"), let start = url.range(of: "://"), start.upperBound < at.lowerBound else { return url }
        let userinfo = url[start.upperBound..<at.lowerBound]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<start.upperBound]) + userinfo[..<colon] + ":***" + url[at.lowerBound...]
    }

    /// `GET` a path (already percent-encoded, starting with `/`) and parse the JSON answer.
    func getJSON(_ path: String) async throws -> JSONValue {
        try await json("GET", path, body: nil)
    }

    /// Sends a JSON body and parses the JSON answer (`null` for an empty one); a status ≥ 300 throws.
    func json(_ method: String, _ path: String, body: JSONValue?) async throws -> JSONValue {
        let r = try await request(method, path, body: try body.map { try JSONCoding.encode($0) })
        guard (200..<300).contains(r.status) else {
            let reason = (try? JSONCoding.parse(r.body))?["reason"]?.stringValue ?? String(decoding: r.body.prefix(200), as: UTF8.self)
            throw DashboardError(r.status == 404 ? 404 : 502, "\(method) \(path) on \(maskedURL) answered \(r.status): \(reason)")
        }
        if r.body.isEmpty { return .null }
        do { return try JSONCoding.parse(r.body) } catch {
            throw DashboardError(502, "\(method) \(path) on \(maskedURL) answered with invalid JSON: \(error)")
        }
    }

    /// One request; returns whatever status came back.
    func request(_ method: String, _ path: String, body: [UInt8]?) async throws -> Response {
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Response.self)
        let loop = promise.futureResult.eventLoop
        let ssl = sslContext, host = self.host, timeout = self.timeout
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(timeout.nanos))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let ssl {
                        let sni = host.first?.isLetter == true ? host : nil
                        try sync.addHandler(NIOSSLClientHandler(context: ssl, serverHostname: sni))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ResponseCollector(promise: promise, limit: Self.maxBody))
                }
            }
        let what = "\(method) \(path) on \(maskedURL)"
        let deadline = loop.scheduleTask(in: .nanoseconds(timeout.nanos)) {
            promise.fail(DashboardError(504, "\(what): no answer within \(timeout)"))
        }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            deadline.cancel()
            promise.fail(error)
            throw DashboardError(502, "cannot connect to the management API at \(maskedURL): \(error)")
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: prefix + path)
        head.headers.add(name: "Host", value: port == 80 || port == 443 ? host : "\(host):\(port)")
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "User-Agent", value: "celery-dashboard")
        if let authorization { head.headers.add(name: "Authorization", value: authorization) }
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if method != "GET" {
            head.headers.add(name: "Content-Length", value: "0")
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await promise.futureResult.get()
        } catch let e as DashboardError {
            throw e
        } catch {
            throw DashboardError(502, "\(what) failed: \(error)")
        }
    }
}

/// Collects one HTTP answer and completes a promise with it (or with the first error).
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<ManagementHTTPClient.Response>
    let limit: Int
    private var status = 0
    private var body: [UInt8] = []
    private var done = false

    init(promise: EventLoopPromise<ManagementHTTPClient.Response>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            status = Int(h.status.code)
        case .body(let b):
            guard body.count + b.readableBytes <= limit else {
                finish(context, .failure(DashboardError(502, "answer larger than \(limit) bytes")))
                return
            }
            body += b.readableBytesView
        case .end:
            finish(context, .success(.init(status: status, body: body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context, .failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(DashboardError(502, "connection closed before the whole answer arrived")))
        context.fireChannelInactive()
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<ManagementHTTPClient.Response, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
        context.close(promise: nil)
    }
}

extension Duration {
    /// Whole nanoseconds (saturating), for NIO time amounts.
    var nanos: Int64 {
        let (s, a) = components
        let (m, o) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? Int64.max : m &+ a / 1_000_000_000
    }
}
