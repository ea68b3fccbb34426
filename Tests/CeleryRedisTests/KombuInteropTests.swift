import Celery
import Foundation
import Testing

@testable import CeleryRedis

/// Runs the real Python kombu against our broker when a Python with kombu is available
/// (`CELERY_TEST_PYTHON`, else `/tmp/pyvenv/bin/python` or `$CELERY_VENV/bin/python`).
@Suite struct KombuInteropTests {
    static var python: String? {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["CELERY_TEST_PYTHON"], env["CELERY_VENV"].map { "\($0)/bin/python" }, "/tmp/pyvenv/bin/python"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func kombuConsumesOursAndWeConsumeKombus() async throws {
        guard let url = try TestRedis.url() else { return }
        guard let python = Self.python else {
            print("note: no Python with kombu found; kombu interop test skipped")
            return
        }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("kombu-in")
        let q2 = TestRedis.unique("kombu-out")
        _ = try await broker.publish(TestRedis.message(5, id: "swift-1"), to: .queue(q))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/kombu_roundtrip.py").standardized.path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, url, q, q2]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let seen = try JSONCoding.parse(Array(data))
        #expect(seen["payload"] == [[5, 1], [:], ["callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil]])
        #expect(seen["headers"]?["id"]?.stringValue == "swift-1")
        #expect(seen["correlation_id"]?.stringValue == "swift-1")
        #expect(seen["content_type"]?.stringValue == "application/json")
        let c = try await broker.consume(.queue(q2), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(d.message.decodeError == nil)
        #expect(d.message.taskId == "py-1")
        #expect(try JSONCoding.parse(d.message.body) == [[3, 4], [:], ["callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil]])
        try await d.ack()
        await c.cancel()
        #expect(try await broker.unackedCount() >= 0)
        try await broker.close()
    }
}
