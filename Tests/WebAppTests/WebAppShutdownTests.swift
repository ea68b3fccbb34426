import CeleryTestSupport
import Foundation
import Testing
@testable import WebAppTasks

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM to the web app with its in-process worker in the middle of a job: the running
/// task finishes and is stored, the prefetched ones go back to the Redis queue (none is
/// lost, none is run twice), and the process exits 0.
@Suite(.serialized) struct WebAppShutdownTests {
    func queueLength(_ redis: String, _ queue: String) async throws -> Int {
        let (status, out) = try await runCommand("/usr/bin/redis-cli", ["-u", redis, "LLEN", queue], timeout: .seconds(10))
        try #require(status == 0, "redis-cli: \(out)")
        return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func sigtermMidJobFinishesTheRunningTaskAndReturnsThePrefetchedOnes() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let data = try TestImages.directory("sigterm")
        let queue = LiveServers.unique("webapp-term")
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: data, queue: queue, extra: ["--concurrency", "1"])
        defer { app.child.killNow() }
        let image = PPMCodec.encode(try TestImages.blocks())
        var ids: [String] = []
        for _ in 0..<3 {
            // 12 output rows, a pause of 150 ms after each: about 2 s of work per job.
            let r = try await app.request("POST", "/thumbnails?max_side=16&pause_ms=150", body: image, contentType: "image/x-portable-pixmap")
            #expect(r.status == 202, "\(r.text)")
            ids.append(try #require(try r.json()["id"] as? String))
        }
        // One job is running (PROGRESS), the two others are prefetched by the worker: the queue is empty.
        let running = try await eventually(.seconds(30), every: .milliseconds(50)) {
            for id in ids where try await app.request("GET", "/jobs/\(id)").json()["state"] as? String == "PROGRESS" { return true }
            return false
        }
        try #require(running, "no job reached PROGRESS:\n\(app.child.output.suffix(2000))")
        #expect(try await eventually(.seconds(10)) { try await queueLength(redis, queue) == 0 }, "the worker should have prefetched the other two")
        // One SIGTERM only (a second one would be a cold shutdown).
        kill(app.child.process.processIdentifier, SIGTERM)
        #expect(await app.child.waitForExit(timeout: .seconds(60)) == 0, "\(app.child.output.suffix(3000))")

        // A second app (no worker) reads the states; the two prefetched messages are back in the queue.
        let reader = try await WebAppProcess.start(broker: redis, backend: mongo, data: data, queue: queue, extra: ["--worker", "external"])
        defer { reader.child.killNow() }
        var states: [String: Int] = [:]
        for id in ids { states[try await reader.request("GET", "/jobs/\(id)").json()["state"] as? String ?? "?", default: 0] += 1 }
        #expect(states == ["SUCCESS": 1, "PENDING": 2], "\(states)\n\(app.child.output.suffix(3000))")
        #expect(try await queueLength(redis, queue) == 2)

        // A worker started afterwards runs exactly those two.
        let worker = try Child(
            WebAppProcess.binary, ["worker", "--broker", redis, "--result-backend", mongo, "--data", data, "-Q", queue, "-c", "2", "-n", LiveServers.unique("after") + "@test"],
            name: "webapp-worker-after")
        defer { worker.killNow() }
        for id in ids {
            #expect(try await reader.waitForJob(id, timeout: .seconds(60))["state"] as? String == "SUCCESS")
        }
        let thumbs = try FileManager.default.contentsOfDirectory(atPath: data + "/thumbnails").filter { $0.hasSuffix(".png") }
        #expect(Set(thumbs) == Set(ids.map { "\($0).png" }))
        #expect(await worker.stop() == 0, "\(worker.output.suffix(2000))")
        #expect(await reader.child.stop() == 0)
    }

    /// HTTP server, worker and beat in one service group: beat's periodic cleanup runs through
    /// the worker (an old upload disappears), and one SIGTERM stops all three (exit 0).
    @Test func serverWorkerAndBeatInOneGroup() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let data = try TestImages.directory("beat")
        try FileManager.default.createDirectory(atPath: data + "/uploads", withIntermediateDirectories: true)
        let old = data + "/uploads/old-upload.ppm"
        try TestImages.write(PPMCodec.encode(try TestImages.gradient()), old)
        let app = try await WebAppProcess.start(
            broker: redis, backend: mongo, data: data, queue: LiveServers.unique("webapp-beat"), extra: ["--cleanup-every", "0.3", "--upload-max-age", "0"])
        defer { app.child.killNow() }
        #expect(try await eventually(.seconds(30)) { !FileManager.default.fileExists(atPath: old) }, "\(app.child.output.suffix(2000))")
        #expect(try await app.request("GET", "/healthcheck").status == 200)
        kill(app.child.process.processIdentifier, SIGTERM)
        #expect(await app.child.waitForExit(timeout: .seconds(60)) == 0, "\(app.child.output.suffix(3000))")
        let out = app.child.output
        #expect(out.contains("beat: sent webapp.cleanup_uploads"), "\(out.suffix(2000))")
        #expect(out.contains("beat: stopped"), "\(out.suffix(2000))")
        #expect(out.contains("worker stopped"), "\(out.suffix(2000))")
    }
}
