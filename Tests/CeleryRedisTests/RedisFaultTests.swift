import Celery
import CeleryTestSupport
import Foundation
import RESP
import Testing

@testable import CeleryRedis

/// The Redis transport under broker faults: a real `redis-server` (AOF, `appendfsync always`)
/// killed with `kill -9` and restarted mid-drain, and connections black-holed through a
/// ``FaultProxy``. Nothing may be lost; duplicates (at-least-once) are counted and printed.
@Suite(.serialized) struct RedisFaultTests {
    static func publish(_ n: Int, to queue: String, url: String) async throws -> Set<String> {
        let p = try await RedisBroker(url: url)
        var ids = Set<String>()
        var batch: [BrokerMessage] = []
        for i in 0..<n {
            let m = TestRedis.message(i)
            ids.insert(m.headers["id"]!.stringValue!)
            batch.append(m)
        }
        try await p.publish(batch: batch, to: .queue(queue))
        try await p.close()
        return ids
    }

    /// One drain under faults: `n` messages published through `url` to a new queue, consumed
    /// through `consumeURL` (`?health_check_interval=1`, visibility timeout 4 s, prefetch 8) by
    /// ``RedisFaultLedger/drain(_:into:takers:work:)``.
    struct Drain {
        let n: Int
        let queue: String
        let url: String
        let broker: RedisBroker
        let consumer: any MessageConsumer
        let ledger = RedisFaultLedger()
        let task: Task<Void, Never>

        init(_ n: Int, queue prefix: String, url: String, consumeURL: String, work: Duration = .milliseconds(5)) async throws {
            self.n = n
            self.url = url
            queue = TestRedis.unique(prefix)
            _ = try await RedisFaultTests.publish(n, to: queue, url: url)
            broker = try await RedisBroker(url: consumeURL, visibilityTimeout: .seconds(4))
            consumer = try await broker.consume(.queue(queue), options: ConsumeOptions(prefetch: 8))
            task = RedisFaultLedger.drain(consumer, into: ledger, work: work)
        }

        /// Through a proxy in front of the test server's database `db` (`nil` without a server).
        static func proxied(_ n: Int, queue: String, db: Int, work: Duration = .milliseconds(5)) async throws -> (Drain, FaultProxy)? {
            guard let url = try TestRedis.url(db: db) else { return nil }
            let upstream = try RedisConfiguration(url: url)
            let proxy = try await FaultProxy.start(upstreamHost: upstream.host, upstreamPort: upstream.port)
            let proxied = "redis://127.0.0.1:\(proxy.port)/\(upstream.database)?health_check_interval=1"
            return (try await Drain(n, queue: queue, url: url, consumeURL: proxied, work: work), proxy)
        }

        /// Waits until `threshold` distinct messages were delivered.
        func waitFor(_ threshold: Int, within limit: Duration = .seconds(20)) async throws {
            try await waitUntil(within: limit, "\(threshold) delivered") { ledger.distinct >= threshold }
        }

        /// Waits for every message, then until what was delivered but could not be acked has come
        /// back after the visibility timeout and been acked (checked on a direct connection):
        /// nothing stays behind. Prints the ledger after `label`, expects nothing lost, and stops.
        func finish(_ label: String) async throws {
            try await waitUntil(within: .seconds(40), "all \(n) delivered") { ledger.distinct >= n }
            let direct = try await RedisBroker(url: url)
            try await waitUntil(within: .seconds(30), "unacked and queue empty") {
                let unacked = try? await direct.unackedCount()
                let ready = try? await direct.queueLength(queue)
                return unacked == 0 && ready == 0
            }
            print("FAULT \(label): lost \(n - ledger.distinct) of \(n), duplicates \(ledger.duplicates), acks failed \(ledger.ackFailures)")
            #expect(ledger.distinct == n)
            await consumer.cancel()
            await task.value
            try await broker.close()
            try await direct.close()
        }
    }

    @Test func killNineAndRestartTwiceMidDrainLosesNothing() async throws {
        guard try TestRedis.url() != nil else { return }
        let server = try await RedisServerProcess.start()
        let d = try await Drain(600, queue: "fault-kill", url: server.url, consumeURL: server.url + "?health_check_interval=1")
        var recoveries: [Duration] = []
        for threshold in [d.n / 4, d.n / 2] {
            try await d.waitFor(threshold, within: .seconds(30))
            try await server.kill9()
            try await Task.sleep(for: .milliseconds(300))
            try await server.launch()
            let ready = ContinuousClock.now
            try await waitUntil(within: .seconds(10), "a delivery after the restart") { d.ledger.firstDelivery(after: ready) != nil }
            recoveries.append(d.ledger.firstDelivery(after: ready)! - ready)
        }
        try await d.finish("kill-9 ×2, consuming again after \(recoveries)")
        for r in recoveries { #expect(r < .seconds(5)) }
        await server.stop()
    }

    @Test func blackHoledConnectionsAreDetectedAndRecovered() async throws {
        // A database of its own: its 4 s visibility timeout must not restore other tests' messages.
        guard let setUp = try await Drain.proxied(300, queue: "fault-blackhole", db: 11, work: .milliseconds(10)) else { return }
        let (d, proxy) = setUp
        try await d.waitFor(d.n / 3)
        let before = try await proxy.acceptedConnections
        try await proxy.setMode(.blackHole)
        let holed = ContinuousClock.now
        // Found within twice the health-check interval (plus the reconnect's backoff, ≤ 1 s).
        try await waitUntil(within: .seconds(4), "a reconnect while black-holed") { (try await proxy.acceptedConnections) > before }
        let detected = ContinuousClock.now - holed
        try await Task.sleep(for: .seconds(1))
        try await proxy.setMode(.pass)
        let healed = ContinuousClock.now
        try await waitUntil(within: .seconds(10), "a delivery after the black hole") { d.ledger.firstDelivery(after: healed) != nil }
        let recovered = d.ledger.firstDelivery(after: healed)! - healed
        try await d.finish("black hole: detected after \(detected), consuming again \(recovered) after it ended")
        #expect(recovered < .seconds(5))
        try await proxy.stop()
    }

    @Test func cutAndResetMidDrainLoseNothing() async throws {
        guard let setUp = try await Drain.proxied(300, queue: "fault-cut", db: 12) else { return }
        let (d, proxy) = setUp
        var recoveries: [Duration] = []
        for (threshold, mode) in [(d.n / 4, FaultProxy.Mode.cut), (d.n / 2, .reset)] {
            try await d.waitFor(threshold)
            try await proxy.setMode(mode)
            try await Task.sleep(for: .milliseconds(500))
            try await proxy.setMode(.pass)
            let back = ContinuousClock.now
            try await waitUntil(within: .seconds(10), "a delivery after \(mode)") { d.ledger.firstDelivery(after: back) != nil }
            recoveries.append(d.ledger.firstDelivery(after: back)! - back)
        }
        try await d.finish("cut + reset, consuming again after \(recoveries)")
        for r in recoveries { #expect(r < .seconds(5)) }
        try await proxy.stop()
    }
}
