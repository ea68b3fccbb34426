import CeleryTestSupport
import Celery
import Foundation
import Logging
import RESP
import Testing

@testable import CeleryRedis

/// `sentinel://` against the master + replica + three sentinels of
/// scripts/services/redis-sentinel.sh: discovery, `READONLY`, `WAIT`, and a manual failover
/// announced by `+switch-master`.
@Suite(.serialized) struct RedisSentinelTests {
    static let logger = Logger(label: "test.sentinel")

    @Test func discoversTheMasterAndRefusesAnUnknownName() async throws {
        guard let urls = try TestSentinel.urls() else { return }
        try await TestSentinel.script("wait-healthy")
        let target = try RedisTarget(url: urls, what: "broker", logger: Self.logger)
        let c = try await target.connector.connect(logger: Self.logger)
        let expected = try #require(try await TestSentinel.masterPort())
        #expect(c.configuration.port == expected)
        #expect(try await c.send(["ROLE"]).array?.first?.string == "master")
        await c.close()
        await target.connector.close()

        let unknown = urls.replacingOccurrences(of: "master_name=\(TestSentinel.masterName)", with: "master_name=nosuchmaster")
        let e = await #expect(throws: CeleryError.self) { _ = try await RedisBroker(url: unknown) }
        #expect("\(e!)".contains("nosuchmaster"), "\(e!)")
    }

    @Test func aReadOnlyReplyClosesTheConnection() async throws {
        guard try TestSentinel.urls() != nil else { return }
        try await TestSentinel.script("wait-healthy")
        let master = try #require(try await TestSentinel.masterPort())
        let replica = try #require(try TestSentinel.dataPorts().first { $0 != master })
        let c = try await RedisConnection.connect(RedisConfiguration(port: replica))
        let e = await #expect(throws: RESPError.self) { _ = try await c.send(["LPUSH", "readonly-probe", "x"]) }
        #expect(e?.kind == .connection && e?.message.contains("read-only replica") == true, "\(String(describing: e))")
        #expect(!c.isActive)
        let p = try await RedisConnection.connect(RedisConfiguration(port: replica))
        await #expect(throws: RESPError.self) { _ = try await p.pipeline([["PING"], ["SET", "readonly-probe", "1"]]) }
        #expect(!p.isActive)
    }

    /// With `wait_replicas=1` a publish that returns is on the replica already; the cost of
    /// `WAIT` is printed (sequential single publishes, same run, same master).
    @Test func publishesWithWaitAreOnTheReplicaWhenTheyReturn() async throws {
        guard let urls = try TestSentinel.urls() else { return }
        try await TestSentinel.script("wait-healthy")
        let master = try #require(try await TestSentinel.masterPort())
        let replica = try #require(try TestSentinel.dataPorts().first { $0 != master })
        let plain = try await RedisBroker(url: urls)
        let waiting = try await RedisBroker(url: urls + "&wait_replicas=1&wait_timeout_ms=1000")
        let tooMany = try await RedisBroker(url: urls + "&wait_replicas=2&wait_timeout_ms=20")
        let n = 400
        var rates: [String: Double] = [:]
        var unconfirmed = 0
        for (label, broker) in [("plain", plain), ("WAIT 1", waiting), ("plain again", plain)] {
            let q = TestRedis.unique("sentinel-wait")
            let start = ContinuousClock.now
            for i in 0..<n {
                let r = try await broker.publish(TestRedis.message(i), to: .queue(q))
                if label == "WAIT 1" && !r.confirmed { unconfirmed += 1 }
            }
            let elapsed = ContinuousClock.now - start
            rates[label] = Double(n) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            if label == "WAIT 1" {
                // Read on the replica itself, right after the last publish returned.
                let onReplica = try await TestSentinel.send(replica, ["LLEN", RESPValue(q)]).int
                #expect(onReplica == Int64(n), "a WAIT-confirmed publish is on the replica")
            }
            _ = try await broker.purge(queue: q)
        }
        #expect(unconfirmed == 0)
        // Two replicas asked, one exists: the publish returns after the timeout, not confirmed.
        let r = try await tooMany.publish(TestRedis.message(0), to: .queue(TestRedis.unique("sentinel-wait2")))
        #expect(!r.confirmed)
        let ratio = rates["WAIT 1"]! / ((rates["plain"]! + rates["plain again"]!) / 2)
        print(String(format: "SENTINEL WAIT cost: %d sequential publishes/s plain %.0f, WAIT 1 %.0f, plain again %.0f (WAIT/plain %.2f)",
                     n, rates["plain"]!, rates["WAIT 1"]!, rates["plain again"]!, ratio))
        try await plain.close()
        try await waiting.close()
        try await tooMany.close()
    }

    /// `SENTINEL FAILOVER`: the old master stays up and is demoted. The connector hears
    /// `+switch-master`, drops its connections, and publishing and consuming go on against
    /// the new master.
    @Test func manualFailoverIsFollowedThroughSwitchMaster() async throws {
        guard let urls = try TestSentinel.urls() else { return }
        try await TestSentinel.script("wait-healthy")
        let old = try #require(try await TestSentinel.masterPort())
        let broker = try await RedisBroker(url: urls + "&health_check_interval=1")
        let sentinel = try #require(broker.connector as? RedisSentinel)
        let q = TestRedis.unique("sentinel-switch")
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        _ = try await broker.publish(TestRedis.message(1), to: .queue(q))
        let first = try #require(try await TestRedis.next(consumer, within: .seconds(5)))
        try await first.ack()

        let port = try #require(try TestSentinel.sentinelPorts().first)
        let started = ContinuousClock.now
        _ = try await TestSentinel.send(port, ["SENTINEL", "FAILOVER", RESPValue(TestSentinel.masterName)])
        try await waitUntil(within: .seconds(15), "+switch-master reached the connector") { sentinel.switchesSeen >= 1 }
        let announced = ContinuousClock.now - started
        let new = try #require(try await TestSentinel.masterPort())
        #expect(new != old)

        // Publishes retry like the app does (a connection cut by the switch is a connection error).
        var published = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !published, ContinuousClock.now < deadline {
            do {
                _ = try await broker.publish(TestRedis.message(2), to: .queue(q))
                published = true
            } catch let e as CeleryError where e.kind == .connection {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(published)
        let second = try await TestRedis.next(consumer, within: .seconds(10))
        #expect(second != nil, "the consumer re-subscribed on the new master")
        try await second?.ack()
        #expect(try await TestSentinel.send(new, ["ROLE"]).array?.first?.string == "master")
        print("SENTINEL manual failover: +switch-master heard \(announced) after SENTINEL FAILOVER; consuming again on \(new)")
        await consumer.cancel()
        try await broker.close()
        try await TestSentinel.script("wait-healthy")
    }
}
