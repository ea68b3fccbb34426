import Foundation
import Synchronization

/// A child process whose output goes to a file, for interop tests.
final class Child: Sendable {
    let process: Process
    let logPath: String

    init(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, name: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        logPath = NSTemporaryDirectory() + "interop-\(name)-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let h = FileHandle(forWritingAtPath: logPath)!
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    /// A child never outlives its test: killed when the last reference goes.
    deinit { killNow() }

    /// SIGKILL if still running (for `defer`: a test that failed half-way leaves nothing behind).
    func killNow() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything the process printed so far.
    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the output contains `text` (or the process exits / the timeout passes).
    func waitFor(_ text: String, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Sends SIGTERM and waits for the exit status (SIGKILL after `timeout`).
    @discardableResult
    func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}

/// Runs a command to completion off the cooperative pool; returns (status, stdout).
func runCommand(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, timeout: Duration = .seconds(60))
    async throws -> (Int32, String)
{
    let c = try Child(executable, args, env: env, cwd: cwd, name: "cmd")
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while c.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
    if c.process.isRunning { await c.stop() }
    return (c.process.terminationStatus, c.output)
}

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
