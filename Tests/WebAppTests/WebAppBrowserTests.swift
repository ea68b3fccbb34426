import CeleryTestSupport
import Foundation
import Testing
@testable import WebAppTasks

/// The example's page in a real browser: headless Chromium (Debian's `chromium` and
/// `chromium-driver`) driven by selenium (scripts/browser/webapp_browser_test.py): sign in,
/// sign up, upload a real PNG through the file input, see both jobs reach SUCCESS and the
/// thumbnail load at its exact size, sign out. Screenshots go to a temporary directory, or to
/// `$CELERY_WEBAPP_SCREENSHOTS` (Docs/ when refreshing them).
@Suite(.serialized) struct WebAppBrowserTests {
    @Test func signInSignUpUploadAndSeeTheThumbnail() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let venv = try #require(LiveServers.environment["CELERY_VENV"], "CELERY_VENV must point at the venv with selenium (scripts/lib/deps.sh)")
        let data = try TestImages.directory("browser")
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: data, queue: LiveServers.unique("webapp-browser"))
        defer { app.child.killNow() }
        // A real PNG of 192×144 blocks; max_side 96 halves it exactly.
        let png = data + "/blocks.png"
        try TestImages.write(try PNGEncoder.encode(try TestImages.blocks(width: 192, height: 144)), png)
        let shots = LiveServers.environment["CELERY_WEBAPP_SCREENSHOTS"].flatMap { $0.isEmpty ? nil : $0 } ?? data + "/screenshots"
        let (status, out) = try await runCommand(
            venv + "/bin/python",
            [LiveServers.repositoryRoot + "/scripts/browser/webapp_browser_test.py", "--url", app.base, "--token", try #require(app.token),
             "--png", png, "--width", "96", "--height", "72", "--screenshots", shots],
            timeout: .seconds(120))
        #expect(status == 0, "browser test failed:\n\(out)\n--- app:\n\(app.child.output.suffix(3000))")
        for shot in ["webapp-login.png", "webapp-page.png"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/" + shot), "\(shot) missing")
        }
        // The mail the page's signup wrote, and the thumbnail file.
        let mails = try FileManager.default.contentsOfDirectory(atPath: data + "/outbox").filter { $0.hasSuffix(".eml") }
        #expect(mails.count == 1, "\(mails)")
        let thumbs = try FileManager.default.contentsOfDirectory(atPath: data + "/thumbnails").filter { $0.hasSuffix(".png") }
        #expect(thumbs.count == 1, "\(thumbs)")
        if let t = thumbs.first {
            let image = try PNGDecoder.decode(try TestImages.read(data + "/thumbnails/" + t))
            #expect(image.width == 96 && image.height == 72 && image[x: 0, y: 0] == TestImages.blockColor(0, 0))
        }
        #expect(await app.child.stop() == 0, "\(app.child.output.suffix(2000))")
    }
}
