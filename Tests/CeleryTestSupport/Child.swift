import Foundation
import Synchronization

/// A child process whose output (stdout and stderr) goes to a file, for tests that run our
/// executables, Python Celery or server tools.
public final class Child: Sendable {
    /// The running process.
    public let process: Process
    /// The file its output goes to.
    public let logPath: String

    /// Starts `executable` with `args`, extra environment `env`, in `cwd`; `name` goes into the log file name.
    public init(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, name: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        logPath = NSTemporaryDirectory() + "test-\(name)-\(UUID().uuidString.prefix(8)).log"
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
    public func killNow() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything the process printed so far.
    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the output contains `text` (or the process exits / the timeout passes).
    public func waitFor(_ text: String, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Waits up to `timeout` for the process to exit by itself; its exit status, or `nil` if it
    /// is still running (nothing is sent to it).
    public func waitForExit(timeout: Duration = .seconds(60)) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Sends SIGTERM and waits for the exit status (SIGKILL after `timeout`).
    @discardableResult
    public func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}

/// Runs a command to completion off the cooperative pool; returns (status, stdout).
public func runCommand(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, timeout: Duration = .seconds(60))
    async throws -> (Int32, String)
{
    let c = try Child(executable, args, env: env, cwd: cwd, name: "cmd")
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while c.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
    if c.process.isRunning { await c.stop() }
    return (c.process.terminationStatus, c.output)
}
