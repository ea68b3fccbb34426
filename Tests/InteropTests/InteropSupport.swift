import CeleryTestSupport
import Foundation

/// Paths and servers for the interop tests.
enum Interop {
    static let env = ProcessInfo.processInfo.environment
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var venv: String { env["CELERY_VENV"] ?? root + "/.venv" }
    static var python: String { venv + "/bin/python" }
    static var celery: String { venv + "/bin/celery" }
    static var interopDir: String { root + "/scripts/interop" }
    static var workerBinary: String { env["CELERY_WORKER_BIN"] ?? root + "/.build/debug/celery-worker" }

    static var brokers: [String] { ["CELERY_TEST_REDIS_URL", "CELERY_TEST_AMQP_URL"].compactMap { env[$0] }.filter { !$0.isEmpty } }
    static var backends: [String] { ["CELERY_TEST_REDIS_URL", "CELERY_TEST_MONGO_URL"].compactMap { env[$0] }.filter { !$0.isEmpty } }

    /// Every broker × backend pair configured.
    static var pairs: [Pair] { brokers.flatMap { b in backends.map { Pair(broker: b, backend: $0) } } }

    /// Whether the interop tests can run here (Python venv, built worker, servers).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: python) && FileManager.default.isExecutableFile(atPath: workerBinary) && !pairs.isEmpty
    }

    static func unique(_ s: String) -> String { "\(s)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// Runs the Python client; returns its JSON output.
    static func client(_ args: [String], broker: String, backend: String?, env extra: [String: String] = [:]) async throws -> [String: Any] {
        var e = extra
        e["CELERY_BROKER_URL"] = broker
        if let backend { e["CELERY_RESULT_BACKEND"] = backend }
        let (status, out) = try await runCommand(python, [interopDir + "/client.py"] + args, env: e, cwd: interopDir, timeout: .seconds(90))
        guard status == 0, let line = out.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw InteropError("python client \(args.first ?? "") failed (\(status)):\n\(out)")
        }
        return obj
    }
}

struct Pair: Sendable, CustomStringConvertible {
    var broker: String
    var backend: String
    var description: String { "\(broker.prefix(5)) + \(backend.prefix(5))" }
}

struct InteropError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
