import Celery
import CeleryDashboard
import Foundation
import Testing

/// Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by selenium
/// (scripts/browser/dashboard_browser_test.py): the overview loads, `tasks.add` is sent from
/// the form and its row reaches SUCCESS live, without a reload. Screenshots go to a
/// temporary directory, or to `$CELERY_DASHBOARD_SCREENSHOTS` (Docs/ when refreshing them).
@Suite(.serialized) struct BrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func enqueueFromTheFormAndWatchItSucceedLive() async throws {
        let redis = try Servers.redis(), mongo = try Servers.mongo()
        let venv = try #require(Servers.env["CELERY_VENV"], "CELERY_VENV must point at the venv with selenium (scripts/lib/deps.sh)")
        let queue = Servers.unique("dash-browser"), host = Servers.unique("dash-b") + "@test"
        let worker = try await startWorker(broker: redis, backend: mongo, queues: [queue], hostname: host)
        let d = try await LiveDashboard(broker: redis, backend: mongo, queues: [queue])
        defer { Task { await d.stop(); await stopWorker(worker) } }
        let shots = Servers.env["CELERY_DASHBOARD_SCREENSHOTS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSTemporaryDirectory() + "dashboard-shots-\(UUID().uuidString.prefix(8))"
        let child = try Child(
            venv + "/bin/python",
            [Self.root.path + "/scripts/browser/dashboard_browser_test.py", "--url", d.base, "--token", d.token, "--queue", queue, "--screenshots", shots],
            name: "browser")
        let status = await child.wait(timeout: .seconds(180))
        #expect(status == 0, "browser test failed:\n\(child.output)")
        #expect(FileManager.default.fileExists(atPath: shots + "/dashboard-overview.png"))
        #expect(FileManager.default.fileExists(atPath: shots + "/dashboard-overview-live.png"))
    }
}

/// A child process whose output goes to a file.
final class Child: Sendable {
    let process: Process
    let logPath: String

    init(_ executable: String, _ args: [String], env: [String: String] = [:], name: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        logPath = NSTemporaryDirectory() + "dashboard-\(name)-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let h = FileHandle(forWritingAtPath: logPath)!
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the output contains `text` (or the process exits / the timeout passes).
    func waitFor(_ text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// SIGTERM, then the exit status (SIGKILL after 10 s).
    func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        return await wait(timeout: .seconds(10))
    }

    /// Waits for the exit status; kills the process after `timeout` (status -1).
    func wait(timeout: Duration) async -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return -1
        }
        return process.terminationStatus
    }
}
