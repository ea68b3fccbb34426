import CeleryTestSupport
import Foundation
import Testing
@testable import WebAppTasks

/// The web-app example against real Redis (broker) and MongoDB (results): upload, poll,
/// download; signup mail; the external worker mode; SIGTERM mid-job.
@Suite(.serialized) struct WebAppEndToEndTests {
    /// A PPM upload of 64×48 in 16×16 blocks; with `max_side=16` every thumbnail pixel is a block's colour.
    func upload() throws -> [UInt8] { PPMCodec.encode(try TestImages.blocks()) }

    func checkThumbnail(_ png: [UInt8]) throws {
        let t = try PNGDecoder.decode(png)
        #expect(t.width == 16 && t.height == 12)
        for y in 0..<t.height {
            for x in 0..<t.width where t[x: x, y: y] != TestImages.blockColor(x / 4, y / 4) {
                Issue.record("thumbnail pixel \(x),\(y) is \(t[x: x, y: y]), expected \(TestImages.blockColor(x / 4, y / 4))")
            }
        }
    }

    @Test func inProcessWorkerThumbnailAndSignup() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let data = try TestImages.directory("e2e")
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: data, queue: LiveServers.unique("webapp"))
        defer { app.child.killNow() }

        let page = try await app.request("GET", "/")
        #expect(page.status == 200 && page.text.contains("/app.js"))
        #expect(try await app.request("GET", "/app.js").text.contains("fetch(\"/thumbnails\""))

        let posted = try await app.request("POST", "/thumbnails?max_side=16", body: try upload(), contentType: "image/x-portable-pixmap")
        #expect(posted.status == 202, "\(posted.text)")
        let job = try posted.json()
        let id = try #require(job["id"] as? String)
        #expect(job["job"] as? String == "/jobs/\(id)")
        let final = try await app.waitForJob(id)
        #expect(final["state"] as? String == "SUCCESS", "\(final)")
        let result = try #require(final["result"] as? [String: Any])
        #expect(result["width"] as? Int == 16 && result["height"] as? Int == 12, "\(result)")
        #expect(result["source_width"] as? Int == 64)
        #expect((final["runtime"] as? Double).map { $0 >= 0 } == true)
        let thumb = try await app.request("GET", "/thumbnails/\(id)")
        #expect(thumb.status == 200)
        try checkThumbnail(thumb.body)

        // Signup: a real .eml in the outbox, named after the job.
        let signup = try await app.request("POST", "/signup", body: Array(#"{"email": "ada@example.org", "name": "Ada"}"#.utf8), contentType: "application/json")
        #expect(signup.status == 202, "\(signup.text)")
        let mailId = try #require(try signup.json()["id"] as? String)
        let mailJob = try await app.waitForJob(mailId)
        #expect(mailJob["state"] as? String == "SUCCESS", "\(mailJob)")
        let eml = try String(contentsOfFile: data + "/outbox/\(mailId).eml", encoding: .utf8)
        #expect(eml.contains("To: \"Ada\" <ada@example.org>\r\n"), "\(eml)")
        #expect(eml.contains("Message-ID: <\(mailId)@swift-celery.example>"))

        #expect(await app.child.stop() == 0, "\(app.child.output.suffix(2000))")
    }

    @Test func badInputIsAClear400AndCorruptImagesAClearFailure() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: try TestImages.directory("bad"), queue: LiveServers.unique("webapp"))
        defer { app.child.killNow() }
        let text = try await app.request("POST", "/thumbnails", body: Array("not an image".utf8), contentType: "image/png")
        #expect(text.status == 400 && text.text.contains("not a PNG or binary PPM"), "\(text.text)")
        let badSide = try await app.request("POST", "/thumbnails?max_side=0", body: try upload(), contentType: "image/x-portable-pixmap")
        #expect(badSide.status == 400, "\(badSide.text)")
        let badMail = try await app.request("POST", "/signup", body: Array(#"{"email": "x\r\nBcc: y@z.org", "name": "X"}"#.utf8), contentType: "application/json")
        #expect(badMail.status == 400, "\(badMail.text)")
        #expect(try await app.request("GET", "/jobs/..%2F..%2Fetc").status == 400)
        // A valid header with corrupt pixel data passes the check, then the task fails with a message.
        var png = try PNGEncoder.encode(try TestImages.gradient())
        let idat = try #require(MultipartSearch.find(Array("IDAT".utf8), in: png))
        png[idat + 8] ^= 0x5A
        png = CodecTests.refreshCRC(png, chunkTypeAt: idat)
        let posted = try await app.request("POST", "/thumbnails", body: png, contentType: "image/png")
        #expect(posted.status == 202, "\(posted.text)")
        let id = try #require(try posted.json()["id"] as? String)
        let final = try await app.waitForJob(id)
        #expect(final["state"] as? String == "FAILURE", "\(final)")
        let error = try #require(final["error"] as? [String: Any])
        #expect(error["type"] as? String == "BadImage", "\(error)")
        #expect(try await app.request("GET", "/thumbnails/\(id)").status == 404)
        // The worker survived: a good upload still succeeds.
        let ok = try await app.request("POST", "/thumbnails?max_side=16", body: try upload(), contentType: "image/x-portable-pixmap")
        let okId = try #require(try ok.json()["id"] as? String)
        #expect(try await app.waitForJob(okId)["state"] as? String == "SUCCESS")
    }

    @Test func externalWorkerMultipartUpload() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let data = try TestImages.directory("external")
        let queue = LiveServers.unique("webapp-ext")
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: data, queue: queue, extra: ["--worker", "external"])
        defer { app.child.killNow() }
        let boundary = "----swift-celery-\(UUID().uuidString.prefix(8))"
        let body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"b.ppm\"\r\nContent-Type: image/x-portable-pixmap\r\n\r\n".utf8)
            + (try upload()) + Array("\r\n--\(boundary)--\r\n".utf8)
        let posted = try await app.request("POST", "/thumbnails?max_side=16", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(posted.status == 202, "\(posted.text)")
        let id = try #require(try posted.json()["id"] as? String)
        // No worker yet: the job waits in the queue.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await app.request("GET", "/jobs/\(id)").json()["state"] as? String == "PENDING")
        let worker = try Child(
            WebAppProcess.binary, ["worker", "--broker", redis, "--result-backend", mongo, "--data", data, "-Q", queue, "-c", "1", "-n", LiveServers.unique("ext") + "@test"],
            name: "webapp-worker")
        defer { worker.killNow() }
        let final = try await app.waitForJob(id, timeout: .seconds(60))
        #expect(final["state"] as? String == "SUCCESS", "\(final)\n\(worker.output.suffix(2000))")
        try checkThumbnail(try await app.request("GET", "/thumbnails/\(id)").body)
        #expect(await worker.stop() == 0, "\(worker.output.suffix(2000))")
    }
}
