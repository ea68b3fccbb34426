import Celery
import Foundation
import RESP
import Synchronization
import Testing

@testable import CeleryRedis

@Suite(.serialized) struct RedisBrokerSemanticsTests {
    @Test func queueDeliversEachMessageExactlyOnceAcrossConsumers() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("once")
        let n = 200
        let consumers = 4
        var ids: [String] = []
        for i in 0..<n {
            let id = "m\(i)"
            ids.append(id)
            _ = try await broker.publish(TestRedis.message(i, id: id), to: .queue(q))
        }
        let seen = Seen()
        try await withThrowingTaskGroup(of: Void.self) { g in
            for _ in 0..<consumers {
                let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 3))
                g.addTask {
                    while seen.count < n {
                        guard let d = try await TestRedis.next(c, within: .seconds(2)) else { continue }
                        seen.append(d.message.taskId ?? "?")
                        try await d.ack()
                    }
                    await c.cancel()
                }
            }
            try await g.waitForAll()
        }
        let got = seen.all
        #expect(got.count == n)
        #expect(Set(got) == Set(ids))
        #expect(try await broker.queueLength(q) == 0)
        try await broker.close()
    }

    /// A server that lost its script cache (restart, `SCRIPT FLUSH`) answers NOSCRIPT: the pop
    /// through the pool falls back to EVAL, and the pop pipelined behind a blocking wait gives
    /// way to it — nothing is lost, the message is delivered.
    @Test func deliveryAfterTheServerForgetsOurScripts() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("noscript")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        #expect(try await TestRedis.next(c, within: .milliseconds(300)) == nil)  // now waiting on BLMOVE
        _ = try await broker.pool.send(["SCRIPT", "FLUSH"])
        _ = try await broker.publish(TestRedis.message(1, id: "after-flush"), to: .queue(q))
        let d = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(d.message.taskId == "after-flush")
        try await d.ack()
        _ = try await broker.pool.send(["SCRIPT", "FLUSH"])
        _ = try await broker.publish(TestRedis.message(2, id: "second"), to: .queue(q))
        let d2 = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(d2.message.taskId == "second")
        try await d2.ack()
        await c.cancel()
        #expect(try await broker.queueLength(q) == 0)
        try await broker.close()
    }

    @Test func cancelledConsumersUnackedMessagesAreRestoredRedelivered() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("cancel")
        for i in 0..<3 { _ = try await broker.publish(TestRedis.message(i, id: "c\(i)"), to: .queue(q)) }
        let c1 = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 3))
        var first: [String] = []
        for _ in 0..<3 { first.append(try #require(try await TestRedis.next(c1, within: .seconds(5))).message.taskId!) }
        #expect(try await broker.queueLength(q) == 0)
        await c1.cancel()
        #expect(try await c1.next() == nil)
        #expect(try await broker.queueLength(q) == 3)
        let c2 = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 3))
        var again: [String] = []
        for _ in 0..<3 {
            let d = try #require(try await TestRedis.next(c2, within: .seconds(5)))
            #expect(d.redelivered)
            #expect(d.deliveryCount == 2)
            again.append(d.message.taskId!)
            try await d.ack()
        }
        #expect(Set(again) == Set(first))
        await c2.cancel()
        try await broker.close()
    }

    @Test func requeueAndDeliveryCountAndDeadLetter() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("dlq")
        _ = try await broker.publish(TestRedis.message(1, id: "poison"), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        for expected in 1...3 {
            let d = try #require(try await TestRedis.next(c, within: .seconds(5)))
            #expect(d.deliveryCount == expected)
            #expect(d.redelivered == (expected > 1))
            if expected < 3 { try await d.requeue() } else { try await d.deadLetter(reason: "poison: delivered 3 times") }
        }
        let dead = try await broker.deadLetters(queue: q)
        #expect(dead.count == 1)
        #expect(dead.first?["reason"]?.stringValue == "poison: delivered 3 times")
        #expect(dead.first?["queue"]?.stringValue == q)
        let original = try JSONCoding.parse(Array((dead.first?["message"]?.stringValue ?? "").utf8))
        #expect(original["headers"]?["id"]?.stringValue == "poison")
        #expect(try await broker.queueLength(q) == 0)
        #expect(try await TestRedis.next(c, within: .milliseconds(300)) == nil)
        await c.cancel()
        try await broker.pool.send(["DEL", RESPValue(RedisKeys.deadLetter(queue: q))])
        try await broker.close()
    }

    @Test func prefetchBoundsUnackedDeliveries() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("prefetch")
        for i in 0..<5 { _ = try await broker.publish(TestRedis.message(i), to: .queue(q)) }
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        let d1 = try #require(try await TestRedis.next(c, within: .seconds(5)))
        _ = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(try await TestRedis.next(c, within: .milliseconds(500)) == nil)
        #expect(try await broker.queueLength(q) == 3)
        try await d1.ack()
        _ = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(try await TestRedis.next(c, within: .milliseconds(300)) == nil)
        await c.adjustPrefetch(by: 1)
        _ = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(try await broker.queueLength(q) == 1)
        await c.cancel()
        #expect(try await broker.queueLength(q) == 4)
        _ = try await broker.purge(queue: q)
        try await broker.close()
    }

    @Test func visibilityTimeoutRestoresUntouchedMessagesOnly() async throws {
        // A private database: the short timeout restores every old record in its db.
        guard let url = try TestRedis.url(db: 7, query: "visibility_timeout=1") else { return }
        let broker = try await RedisBroker(url: url)
        #expect(broker.visibilityTimeout == .seconds(1))
        let q = TestRedis.unique("vt")
        _ = try await broker.publish(TestRedis.message(1, id: "slow"), to: .queue(q))
        _ = try await broker.publish(TestRedis.message(2, id: "touched"), to: .queue(q))
        let a = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        let slow = try #require(try await TestRedis.next(a, within: .seconds(5)))
        let touched = try #require(try await TestRedis.next(a, within: .seconds(5)))
        #expect(slow.message.taskId == "slow" && touched.message.taskId == "touched")
        let b = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 5))
        let keepAlive = Task {
            while !Task.isCancelled {
                do { try await touched.touch() } catch { Issue.record("touch failed: \(error)") }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let start = ContinuousClock.now
        let again = try #require(try await TestRedis.next(b, within: .seconds(6)))
        #expect(again.message.taskId == "slow")
        #expect(again.redelivered && again.deliveryCount == 2)
        #expect(ContinuousClock.now - start >= .milliseconds(500))
        try await again.ack()
        // The touched one stays in flight while touched.
        let extra = try await TestRedis.next(b, within: .seconds(2))
        #expect(extra == nil, "got \(String(describing: extra?.message.taskId)) count \(String(describing: extra?.deliveryCount))")
        keepAlive.cancel()
        try await touched.ack()
        await a.cancel()
        await b.cancel()
        try await broker.close()
    }

    @Test func visibilityRestoreAlsoRunsWhileTheQueueIsBusy() async throws {
        guard let url = try TestRedis.url(db: 8, query: "visibility_timeout=1") else { return }
        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("busy")
        _ = try await broker.publish(TestRedis.message(0, id: "lost"), to: .queue(q))
        let crashed = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        #expect(try #require(try await TestRedis.next(crashed, within: .seconds(5))).message.taskId == "lost")
        for i in 1...40 { _ = try await broker.publish(TestRedis.message(i, id: "busy\(i)"), to: .queue(q)) }
        let worker = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        var found: Delivery?
        for _ in 1...40 {  // the queue never runs empty while the restore is due
            let d = try #require(try await TestRedis.next(worker, within: .seconds(5)))
            if d.message.taskId == "lost" { found = d; break }
            try await Task.sleep(for: .milliseconds(100))
            try await d.ack()
        }
        let lost = try #require(found)
        #expect(lost.redelivered && lost.deliveryCount == 2)
        #expect(try await broker.queueLength(q) > 0)
        try await lost.ack()
        _ = try await broker.purge(queue: q)
        await worker.cancel()
        await crashed.cancel()
        try await broker.close()
    }

    @Test func broadcastFansOutToEverySubscriberAndReportsReceivers() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let ex = TestRedis.unique("fan")
        #expect(try await broker.publish(TestRedis.message(0), to: .broadcast(ex)).receivers == 0)
        var subs: [any MessageConsumer] = []
        for _ in 0..<3 { subs.append(try await broker.consume(.broadcast(ex), options: ConsumeOptions())) }
        let receipt = try await broker.publish(TestRedis.message(1, id: "hello"), to: .broadcast(ex))
        #expect(receipt.receivers == 3)
        for s in subs {
            let d = try #require(try await TestRedis.next(s, within: .seconds(5)))
            #expect(d.message.taskId == "hello")
            #expect(d.acknowledger == nil)
        }
        let raw = try await RESPTestClient(url)
        #expect(try await raw.send(["PUBLISH", RESPValue("/0.\(ex)"), "x"]) == .integer(3))
        for s in subs { await s.cancel() }
        #expect(try await broker.publish(TestRedis.message(2), to: .broadcast(ex)).receivers == 0)
        try await broker.close()
    }

    /// A subscriber polled with `next(within:)` (as `celery-admin events` polls) keeps its
    /// subscription through timeouts: a timed-out wait must not end the stream.
    @Test func broadcastSubscriberSurvivesTimedOutWaits() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let ex = TestRedis.unique("poll")
        let sub = try await broker.consume(.broadcast(ex), options: ConsumeOptions())
        for _ in 0..<3 { #expect(try await sub.next(within: .milliseconds(20)) == nil) }
        for i in 0..<3 { #expect(try await broker.publish(TestRedis.message(i, id: "m\(i)"), to: .broadcast(ex)).receivers == 1) }
        var got: [String] = []
        while got.count < 3, let d = try await sub.next(within: .seconds(5)) { got.append(d.message.taskId ?? "?") }
        #expect(got == ["m0", "m1", "m2"])
        await sub.cancel()
        #expect(try await sub.next(within: .milliseconds(50)) == nil)
        try await broker.close()
    }

    @Test func badURLsAndUnreachableServersAreClearErrors() async throws {
        RedisTransport.register()
        let start = ContinuousClock.now
        await #expect { _ = try await TransportRegistry.broker(url: "redis://:hunter2@127.0.0.1:1/0") } throws: { e in
            guard let e = e as? CeleryError else { return false }
            return e.kind == .connection && e.message.contains("127.0.0.1:1") && !e.message.contains("hunter2")
        }
        #expect(ContinuousClock.now - start < .seconds(6))
        await #expect { _ = try await RedisBroker(url: "redis://:hunter2@localhost:99999/0") } throws: { e in
            guard let e = e as? CeleryError else { return false }
            return e.kind == .badURL && e.message.contains("99999") && !e.message.contains("hunter2")
        }
        await #expect { _ = try await RedisBroker(url: "redis://localhost:6379/notadb") } throws: { ($0 as? CeleryError)?.kind == .badURL }
        await #expect { _ = try await RedisResultBackend(url: "rediss://127.0.0.1:1/0") } throws: { e in
            (e as? CeleryError)?.message.contains("127.0.0.1:1") == true
        }
        guard let url = try TestRedis.url(db: 999) else { return }
        await #expect { _ = try await RedisBroker(url: url) } throws: { e in
            guard let e = e as? CeleryError else { return false }
            return e.kind == .server && e.message.contains("out of range")
        }
        let tlsToPlain = try #require(try TestRedis.url(db: 0)).replacingOccurrences(of: "redis://", with: "rediss://") + "?ssl_cert_reqs=none&connect_timeout=2"
        await #expect { _ = try await RedisBroker(url: tlsToPlain) } throws: { e in
            guard let e = e as? CeleryError else { return false }
            return e.kind == .connection || e.kind == .timeout
        }
        let b = try await TransportRegistry.broker(url: try #require(try TestRedis.url()))
        #expect(b is RedisBroker)
        try await b.close()
    }
}

final class Seen: Sendable {
    private let items = Mutex<[String]>([])
    var count: Int { items.withLock { $0.count } }
    var all: [String] { items.withLock { $0 } }
    func append(_ s: String) { items.withLock { $0.append(s) } }
}
