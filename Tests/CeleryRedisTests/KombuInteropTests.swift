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

    /// Runs `scripts/kombu_restore.py` and returns what it printed (JSON).
    static func kombuRestore(_ python: String, _ args: [String]) throws -> JSONValue {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/kombu_restore.py").standardized.path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "kombu_restore.py \(args.first ?? "") failed")
        return try JSONCoding.parse(Array(data))
    }

    /// The unacked records are kombu's: kombu's `restore_visible` brings back what our pop
    /// recorded, and our visibility restore brings back what a killed kombu consumer left;
    /// either way the next delivery is marked redelivered and counted as the second.
    @Test func kombuRestoresOurUnackedRecordsAndWeRestoreKombus() async throws {
        // A database of its own: the 1 s visibility timeouts restore every old record in it.
        guard let url = try TestRedis.url(db: 13), let quick = try TestRedis.url(db: 13, query: "visibility_timeout=1") else { return }
        guard let python = Self.python else {
            print("note: no Python with kombu found; kombu restore interop test skipped")
            return
        }
        let broker = try await RedisBroker(url: url)  // default visibility timeout: never restores these itself
        let q = TestRedis.unique("kombu-restore")
        _ = try await broker.publish(TestRedis.message(1, id: "ours"), to: .queue(q))
        let abandoned = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let first = try #require(try await TestRedis.next(abandoned, within: .seconds(5)))
        #expect(first.deliveryCount == 1 && !first.redelivered)
        try await Task.sleep(for: .milliseconds(1100))  // older than kombu's 1 s visibility timeout
        #expect(try Self.kombuRestore(python, ["visible", url])["restored"]?.intValue == 1)
        #expect(try await broker.queueLength(q) == 1)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let again = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(again.message.taskId == "ours" && again.redelivered && again.deliveryCount == 2)
        try await again.ack()
        await abandoned.cancel()  // its record is gone: nothing to give back
        await c.cancel()
        #expect(try await broker.queueLength(q) == 0)
        #expect(try await broker.unackedCount() == 0)

        _ = try await broker.publish(TestRedis.message(2, id: "theirs"), to: .queue(q))
        let taken = try Self.kombuRestore(python, ["crash", url, q])
        let tag = try #require(taken["delivery_tag"]?.stringValue)
        #expect(try await broker.unackedCount() == 1)
        let restorer = try await RedisBroker(url: quick)
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await restorer.restoreVisible() == 1)
        let c2 = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let theirs = try #require(try await TestRedis.next(c2, within: .seconds(5)))
        #expect(theirs.message.taskId == "theirs" && theirs.redelivered && theirs.deliveryCount == 2)
        #expect(try #require(theirs.acknowledger as? RedisAcknowledger).tag == tag)
        try await theirs.ack()
        #expect(try await broker.unackedCount() == 0)
        await c2.cancel()
        try await restorer.close()
        try await broker.close()
    }
}
