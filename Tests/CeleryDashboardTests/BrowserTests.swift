import Celery
import CeleryDashboard
import CeleryTestSupport
import Foundation
import Testing

/// Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by selenium
/// (scripts/browser/dashboard_browser_test.py): the overview loads, `tasks.add` is sent from
/// the form and its row reaches SUCCESS live, without a reload. Screenshots go to a
/// temporary directory, or to `$CELERY_DASHBOARD_SCREENSHOTS` (Docs/ when refreshing them).
@Suite(.serialized) struct BrowserTests {
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
            [LiveServers.repositoryRoot + "/scripts/browser/dashboard_browser_test.py", "--url", d.base, "--token", d.token, "--queue", queue, "--screenshots", shots],
            name: "browser")
        let status = await child.waitForExit(timeout: .seconds(180))
        #expect(status == 0, "browser test failed (nil: still running after 180 s, then killed):\n\(child.output)")
        child.killNow()
        #expect(FileManager.default.fileExists(atPath: shots + "/dashboard-overview.png"))
        #expect(FileManager.default.fileExists(atPath: shots + "/dashboard-overview-live.png"))
    }
}
