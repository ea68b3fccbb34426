import Celery
import CeleryDashboard
import CeleryMongo
import CeleryRabbitMQ
import CeleryRedis
import CeleryTestSupport
import ExampleTasks
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Servers from the test script (scripts/test.sh starts them and exports these).
enum Servers {
    static var env: [String: String] { LiveServers.environment }
    static func redis() throws -> String { try LiveServers.required(LiveServers.redisVariable) }
    static func amqp() throws -> String { try LiveServers.required(LiveServers.amqpVariable) }
    static func mongo() throws -> String { try LiveServers.required(LiveServers.mongoVariable) }
    static func unique(_ base: String) -> String { LiveServers.unique(base) }
    static func amqpManagement() throws -> String { try LiveServers.required("CELERY_TEST_AMQP_MANAGEMENT_URL") }
}

/// A dashboard served on a free port for one test, and a small HTTP client for it.
final class LiveDashboard: Sendable {
    let server: DashboardServer
    let runner: Task<Void, any Error>
    let base: String
    let token: String

    init(broker: String, backend: String?, token: String = "test-token", basic: [DashboardCredentials.BasicCredential] = [],
         readOnly: Bool = false, queues: [String] = ["celery"], management: String? = nil) async throws {
        self.token = token
        let config = DashboardConfiguration(
            brokerURL: broker, backendURL: backend, port: 0, readOnly: readOnly,
            credentials: DashboardCredentials(basic: basic, token: token), workerGrace: .seconds(6), rabbitManagementURL: management,
            knownQueues: queues)
        server = try await DashboardServer(configuration: config)
        let s = server
        runner = Task { try await s.run() }
        base = "http://127.0.0.1:\(await server.port())"
    }

    func stop() async {
        runner.cancel()
        _ = await runner.result
        await server.dashboard.close()
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> JSONValue { try JSONCoding.parse(Array(body)) }
    }

    /// One request; `auth` nil = no credentials, "" = the bearer token.
    func request(_ method: String, _ path: String, auth: String? = "", headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        var r = URLRequest(url: URL(string: base + path)!)
        r.httpMethod = method
        r.timeoutInterval = 30
        if let auth { r.setValue(auth.isEmpty ? "Bearer \(token)" : auth, forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        r.httpBody = body
        let (data, resp): (Data, URLResponse) = try await withCheckedThrowingContinuation { c in
            NoRedirects.session.dataTask(with: r) { data, resp, error in
                if let error { c.resume(throwing: error) } else { c.resume(returning: (data ?? Data(), resp!)) }
            }.resume()
        }
        let http = resp as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: h, body: data)
    }

    func get(_ path: String, auth: String? = "") async throws -> Reply { try await request("GET", path, auth: auth) }

    /// The same through curl, for answers Foundation's URLSession will not hand back as they
    /// are (a 401 with `WWW-Authenticate`, which it turns into a challenge).
    func curl(_ path: String, auth: String? = nil) throws -> Reply {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-i", "--max-time", "20"] + (auth.map { ["-H", "Authorization: \($0)"] } ?? []) + [base + path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var h: [String: String] = [:]
        for l in lines.dropFirst() {
            if let c = l.firstIndex(of: ":") { h[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces) }
        }
        return Reply(status: status, headers: h, body: Data(parts.dropFirst().joined(separator: "\r\n\r\n").utf8))
    }

    func postJSON(_ path: String, _ v: JSONValue, auth: String? = "") async throws -> Reply {
        try await request("POST", path, auth: auth, headers: ["Content-Type": "application/json"], body: Data(try JSONCoding.encode(v)))
    }
}

/// An in-process worker with the example tasks.
func startWorker(broker: String, backend: String?, queues: [String], hostname: String, concurrency: Int = 2) async throws -> (Worker, Task<Void, any Error>, Celery) {
    RedisTransport.register()
    RabbitMQTransport.register()
    MongoBackend.register()
    let app = try await Celery(name: "dash-test", broker: broker, backend: backend)
    ExampleTasks.register(on: app)
    let w = Worker(app: app, options: WorkerOptions(concurrency: concurrency, queues: queues, hostname: hostname, heartbeatInterval: .seconds(1)))
    let t = Task { try await w.run() }
    await w.waitUntilStarted()
    return (w, t, app)
}

func stopWorker(_ w: (Worker, Task<Void, any Error>, Celery)) async {
    w.0.shutdown()
    _ = await w.1.result
    try? await w.2.close()
}


/// A session that returns redirects instead of following them and keeps no cookies, so
/// tests see exactly what the server answered.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.httpCookieStorage = nil
        c.httpShouldSetCookies = false
        return URLSession(configuration: c, delegate: NoRedirects(), delegateQueue: nil)
    }()

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    /// A 401 with `WWW-Authenticate` is returned as it is (no stored credentials to try).
    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}
