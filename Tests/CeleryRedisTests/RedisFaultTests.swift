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

    @Test func killNineAndRestartTwiceMidDrainLosesNothing() async throws {
        guard try TestRedis.url() != nil else { return }
        let server = try await RedisServerProcess.start()
        let n = 600
        let q = TestRedis.unique("fault-kill")
        _ = try await Self.publish(n, to: q, url: server.url)
        let broker = try await RedisBroker(url: server.url + "?health_check_interval=1", visibilityTimeout: .seconds(4))
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 8))
        let ledger = RedisFaultLedger()
        let drain = RedisFaultLedger.drain(consumer, into: ledger)
        var recoveries: [Duration] = []
        for threshold in [n / 4, n / 2] {
            try await waitUntil(within: .seconds(30), "\(threshold) delivered") { ledger.distinct >= threshold }
            try await server.kill9()
            try await Task.sleep(for: .milliseconds(300))
            try await server.launch()
            let ready = ContinuousClock.now
            try await waitUntil(within: .seconds(10), "a delivery after the restart") { ledger.firstDelivery(after: ready) != nil }
            recoveries.append(ledger.firstDelivery(after: ready)! - ready)
        }
        try await waitUntil(within: .seconds(40), "all \(n) delivered") { ledger.distinct >= n }
        // What was delivered but could not be acked comes back after the visibility timeout
        // and is acked then: nothing stays behind.
        try await waitUntil(within: .seconds(30), "unacked and queue empty") {
            let unacked = try? await broker.unackedCount()
            let ready = try? await broker.queueLength(q)
            return unacked == 0 && ready == 0
        }
        print("FAULT kill-9 ×2: lost \(n - ledger.distinct) of \(n), duplicates \(ledger.duplicates), acks failed \(ledger.ackFailures), consuming again after \(recoveries)")
        #expect(ledger.distinct == n)
        for r in recoveries { #expect(r < .seconds(5)) }
        await consumer.cancel()
        await drain.value
        try await broker.close()
        await server.stop()
    }

    @Test func blackHoledConnectionsAreDetectedAndRecovered() async throws {
        // A database of its own: its 4 s visibility timeout must not restore other tests' messages.
        guard let url = try TestRedis.url(db: 11) else { return }
        let upstream = try RedisConfiguration(url: url)
        let proxy = try await FaultProxy.start(upstreamHost: upstream.host, upstreamPort: upstream.port)
        let n = 300
        let q = TestRedis.unique("fault-blackhole")
        _ = try await Self.publish(n, to: q, url: url)
        let proxied = "redis://127.0.0.1:\(proxy.port)/\(upstream.database)?health_check_interval=1"
        let broker = try await RedisBroker(url: proxied, visibilityTimeout: .seconds(4))
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 8))
        let ledger = RedisFaultLedger()
        let drain = RedisFaultLedger.drain(consumer, into: ledger, work: .milliseconds(10))
        try await waitUntil(within: .seconds(20), "a third delivered") { ledger.distinct >= n / 3 }
        let before = try await proxy.acceptedConnections
        try await proxy.setMode(.blackHole)
        let holed = ContinuousClock.now
        // Found within twice the health-check interval (plus the reconnect's backoff, ≤ 1 s).
        try await waitUntil(within: .seconds(4), "a reconnect while black-holed") { (try await proxy.acceptedConnections) > before }
        let detected = ContinuousClock.now - holed
        try await Task.sleep(for: .seconds(1))
        try await proxy.setMode(.pass)
        let healed = ContinuousClock.now
        try await waitUntil(within: .seconds(10), "a delivery after the black hole") { ledger.firstDelivery(after: healed) != nil }
        let recovered = ledger.firstDelivery(after: healed)! - healed
        try await waitUntil(within: .seconds(40), "all \(n) delivered") { ledger.distinct >= n }
        let direct = try await RedisBroker(url: url)
        try await waitUntil(within: .seconds(30), "unacked and queue empty") {
            let unacked = try? await direct.unackedCount()
            let ready = try? await direct.queueLength(q)
            return unacked == 0 && ready == 0
        }
        print("FAULT black hole: detected after \(detected), consuming again \(recovered) after it ended; lost \(n - ledger.distinct) of \(n), duplicates \(ledger.duplicates), acks failed \(ledger.ackFailures)")
        #expect(ledger.distinct == n)
        #expect(recovered < .seconds(5))
        await consumer.cancel()
        await drain.value
        try await broker.close()
        try await direct.close()
        try await proxy.stop()
    }

    @Test func cutAndResetMidDrainLoseNothing() async throws {
        guard let url = try TestRedis.url(db: 12) else { return }
        let upstream = try RedisConfiguration(url: url)
        let proxy = try await FaultProxy.start(upstreamHost: upstream.host, upstreamPort: upstream.port)
        let n = 300
        let q = TestRedis.unique("fault-cut")
        _ = try await Self.publish(n, to: q, url: url)
        let proxied = "redis://127.0.0.1:\(proxy.port)/\(upstream.database)?health_check_interval=1"
        let broker = try await RedisBroker(url: proxied, visibilityTimeout: .seconds(4))
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 8))
        let ledger = RedisFaultLedger()
        let drain = RedisFaultLedger.drain(consumer, into: ledger)
        var recoveries: [Duration] = []
        for (threshold, mode) in [(n / 4, FaultProxy.Mode.cut), (n / 2, .reset)] {
            try await waitUntil(within: .seconds(20), "\(threshold) delivered") { ledger.distinct >= threshold }
            try await proxy.setMode(mode)
            try await Task.sleep(for: .milliseconds(500))
            try await proxy.setMode(.pass)
            let back = ContinuousClock.now
            try await waitUntil(within: .seconds(10), "a delivery after \(mode)") { ledger.firstDelivery(after: back) != nil }
            recoveries.append(ledger.firstDelivery(after: back)! - back)
        }
        try await waitUntil(within: .seconds(40), "all \(n) delivered") { ledger.distinct >= n }
        let direct = try await RedisBroker(url: url)
        try await waitUntil(within: .seconds(30), "unacked and queue empty") {
            let unacked = try? await direct.unackedCount()
            let ready = try? await direct.queueLength(q)
            return unacked == 0 && ready == 0
        }
        print("FAULT cut + reset: lost \(n - ledger.distinct) of \(n), duplicates \(ledger.duplicates), acks failed \(ledger.ackFailures), consuming again after \(recoveries)")
        #expect(ledger.distinct == n)
        for r in recoveries { #expect(r < .seconds(5)) }
        await consumer.cancel()
        await drain.value
        try await broker.close()
        try await direct.close()
        try await proxy.stop()
    }
}
