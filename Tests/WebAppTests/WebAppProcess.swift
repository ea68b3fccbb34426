import CeleryTestSupport
import Foundation
import Testing

/// `celery-webapp-example` as a process on a free port, and curl as its client.
final class WebAppProcess: Sendable {
    let child: Child
    let base: String
    let data: String
    /// The `--token` it was started with (`nil` when `extra` gave the credentials).
    let token: String?

    /// A random token for one test (64 hex digits).
    static func newToken() -> String { (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined().prefix(64).lowercased() }

    static var binary: String { LiveServers.binDirectory + "/celery-webapp-example" }

    /// Starts the app (`--port 0`, with a new `--token` unless `token` is `nil`) and waits for
    /// its banner, which names the port.
    static func start(
        broker: String, backend: String, data: String, queue: String, token: String? = newToken(), extra: [String] = [], env: [String: String] = [:]
    ) async throws -> WebAppProcess {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is not built (swift build --build-tests builds it)")
        let c = try Child(
            binary, ["--port", "0", "--broker", broker, "--result-backend", backend, "--data", data, "--queue", queue] + (token.map { ["--token", $0] } ?? []) + extra,
            env: env, name: "webapp")
        let marker = "celery-webapp-example on http://127.0.0.1:"
        guard await c.waitFor(marker, timeout: .seconds(60)), let line = c.output.components(separatedBy: "\n").first(where: { $0.contains(marker) }),
            let port = line.components(separatedBy: marker).last?.split(separator: "/").first.flatMap({ Int($0) })
        else {
            await c.stop()
            throw WaitTimedOut(description: "the web app did not start:\n\(c.output)")
        }
        return WebAppProcess(child: c, base: "http://127.0.0.1:\(port)", data: data, token: token)
    }

    private init(child: Child, base: String, data: String, token: String?) {
        self.child = child
        self.base = base
        self.data = data
        self.token = token
    }

    struct Reply {
        var status: Int
        var body: [UInt8]
        /// The response's header lines, names in lower case.
        var headers: [(name: String, value: String)] = []
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The first value of header `name` (any case).
        func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], "not a JSON object: \(text)")
        }
    }

    /// How a request authenticates.
    enum Credentials {
        /// `Authorization: Bearer` with the app's ``token``.
        case appToken
        /// No credentials.
        case none
        /// These header lines (`Authorization: …`, `Cookie: …`) and nothing else.
        case headers([String])
    }

    /// One request through curl (with the app's token unless `credentials` says otherwise;
    /// `headers` are added as they are).
    func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, credentials: Credentials = .appToken, headers: [String] = []
    ) async throws -> Reply {
        let dir = NSTemporaryDirectory() + "webapp-curl-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var args = ["-s", "-S", "--max-time", "30", "-X", method, "-o", dir + "/out", "-D", dir + "/headers", "-w", "%{http_code}"]
        if let body {
            try Data(body).write(to: URL(fileURLWithPath: dir + "/in"))
            args += ["--data-binary", "@" + dir + "/in"]
        }
        if let contentType { args += ["-H", "Content-Type: \(contentType)"] }
        switch credentials {
        case .appToken: if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        case .none: break
        case .headers(let lines): for l in lines { args += ["-H", l] }
        }
        for h in headers { args += ["-H", h] }
        let (status, out) = try await runCommand("/usr/bin/curl", args + [base + path], timeout: .seconds(40))
        try #require(status == 0, "curl \(method) \(path) failed: \(out)")
        let code = Int(out.trimmingCharacters(in: .whitespacesAndNewlines).suffix(3)) ?? 0
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: dir + "/out"))).map(Array.init) ?? []
        let head = (try? String(contentsOfFile: dir + "/headers", encoding: .utf8)) ?? ""
        let lines = head.components(separatedBy: "\r\n").compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Reply(status: code, body: bytes, headers: lines)
    }

    /// Polls `GET /jobs/<id>` until the state is final; returns the last answer.
    func waitForJob(_ id: String, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        let done = try await eventually(timeout, every: .milliseconds(100)) {
            last = try await request("GET", "/jobs/\(id)").json()
            return ["SUCCESS", "FAILURE", "REVOKED"].contains(last["state"] as? String ?? "")
        }
        try #require(done, "job \(id) did not finish: \(last)\n\(child.output.suffix(3000))")
        return last
    }
}
