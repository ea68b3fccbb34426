import CeleryTestSupport
import Celery
import Foundation
import Synchronization
import Testing

@testable import CeleryRedis

/// The master is killed (`kill -9` by pid) while our worker drains a queue through
/// `sentinel://` and a client keeps publishing: both follow the promoted replica. Reports
/// tasks lost (publish returned, never ran) and duplicates, without and with `WAIT`.
///
/// `CELERY_SENTINEL_TASKS` (default 300) sets the size; Benchmarks/redis-sentinel-soak.sh
/// runs these with 3 000, several times.
@Suite(.serialized) struct RedisSentinelFailoverTests {
    struct Published: Sendable { var id: String; var at: ContinuousClock.Instant }

    /// What the publishers share.
    final class Log: Sendable {
        let acknowledged = Mutex<[Published]>([])
        let refused = Mutex(0)
        let killed = Mutex<ContinuousClock.Instant?>(nil)
        let next: Mutex<Int>
        init(next: Int) { self.next = Mutex(next) }
    }

    @Test func masterKilledMidDrainWithoutWait() async throws {
        try await Self.drainThroughFailover(wait: false)
    }

    @Test func masterKilledMidDrainWithWait() async throws {
        try await Self.drainThroughFailover(wait: true)
    }

    static func drainThroughFailover(wait: Bool) async throws {
        guard let urls = try TestSentinel.urls() else { return }
        try await TestSentinel.script("wait-healthy")
        let total = TestSentinel.env["CELERY_SENTINEL_TASKS"].flatMap { Int($0) } ?? 300
        let brokerURL = urls + "&visibility_timeout=3&health_check_interval=1" + (wait ? "&wait_replicas=1&wait_timeout_ms=100" : "")
        let q = TestRedis.unique(wait ? "sentinel-wait" : "sentinel-nowait")
        let ledger = RedisFaultLedger()
        let label = (wait ? "WAIT 1 100ms" : "no WAIT")
            + (TestSentinel.env["CELERY_SENTINEL_PUBLISHERS"].map { ", \($0) publishers" } ?? "")

        let workerApp = Celery(
            name: "sentinel-worker", broker: try await RedisBroker(url: brokerURL), backend: try await RedisResultBackend(url: urls))
        workerApp.task("tasks.sentinel_mark") { (ctx: TaskContext, n: Int64) in
            ledger.record(ctx.id)
            try await Task.sleep(for: .milliseconds(2))
            return n
        }
        let client = Celery(
            name: "sentinel-client", broker: try await RedisBroker(url: brokerURL), backend: try await RedisResultBackend(url: urls))
        let call = CallOptions(route: .queue(q))
        let upfront = total / 2
        let log = Log(next: upfront)
        @Sendable func publish(_ i: Int) async {
            do {
                let id = try await client.send(task: "tasks.sentinel_mark", args: [.int(Int64(i))], options: call).id
                log.acknowledged.withLock { $0.append(Published(id: id, at: .now)) }
            } catch {
                log.refused.withLock { $0 += 1 }
            }
        }
        for i in 0..<upfront { await publish(i) }

        let worker = Worker(app: workerApp, options: WorkerOptions(concurrency: 8, queues: [q], hostname: "sentinel-\(q)@test", sendEvents: false))
        let running = Task { try await worker.run() }
        await worker.waitUntilStarted()
        try await waitUntil(within: .seconds(20), "a quarter of the first half ran") { ledger.distinct >= upfront / 4 }

        // Publishers keep going while the master dies: their publishes straddle the failover.
        // CELERY_SENTINEL_PUBLISHERS (default 1) run concurrently, CELERY_SENTINEL_PACE_MS
        // (default 5) apart each; the soak raises the pressure to widen the loss window.
        let publishers = TestSentinel.env["CELERY_SENTINEL_PUBLISHERS"].flatMap { Int($0) } ?? 1
        let pace = TestSentinel.env["CELERY_SENTINEL_PACE_MS"].flatMap { Int($0) } ?? 5
        // Until `total` returned and 50 of them after the kill (fast publishers could be done
        // before the master dies).
        @Sendable func done() -> Bool {
            if Task.isCancelled { return true }
            guard let k = log.killed.withLock({ $0 }) else { return false }
            return log.acknowledged.withLock { $0.count >= total && $0.reversed().prefix { $0.at > k }.count >= 50 }
        }
        let publisher = Task {
            await withTaskGroup(of: Void.self) { g in
                for _ in 0..<publishers {
                    g.addTask {
                        while !done() {
                            await publish(log.next.withLock { n in defer { n += 1 }; return n })
                            if pace > 0 { try? await Task.sleep(for: .milliseconds(pace)) }
                        }
                    }
                }
            }
        }
        let killStarted = ContinuousClock.now
        let old: String
        do { old = try await TestSentinel.script("kill-master") } catch {
            publisher.cancel()
            throw error
        }
        // The old master is gone for sure from here: what returns later was on the new one.
        let killedAt = ContinuousClock.now
        log.killed.withLock { $0 = killedAt }
        try await waitUntil(within: .seconds(20), "the sentinels promoted the replica") {
            if let p = try await TestSentinel.masterPort() { return "\(p)" != old }
            return false
        }
        let promoted = ContinuousClock.now - killStarted
        // Back as a replica of the new master, so WAIT has a replica again.
        try await TestSentinel.script("revive", old)
        await publisher.value
        let firstPublishAfter = log.acknowledged.withLock { $0.first { $0.at > killedAt }?.at }.map { $0 - killedAt }

        let published = log.acknowledged.withLock { $0 }
        try? await waitUntil(within: .seconds(20), "every acknowledged task ran") {
            published.allSatisfy { ledger.count(of: $0.id) > 0 }
        }
        let lost = published.filter { ledger.count(of: $0.id) == 0 }
        let lostAfterKill = lost.filter { $0.at > killedAt }
        let ran = ledger.ids
        var succeeded = 0
        try? await waitUntil(within: .seconds(15), "every task that ran has its SUCCESS") {
            succeeded = 0
            for id in ran where (try? await client.backend!.meta(for: id))?.status == .success { succeeded += 1 }
            return succeeded == ran.count
        }
        print("SENTINEL kill -9 mid-drain (\(label)): \(published.count) publishes returned (\(log.refused.withLock { $0 }) refused during the failover), lost \(lost.count) (\(lostAfterKill.count) after the kill), duplicates \(ledger.duplicates), \(succeeded)/\(ran.count) ran tasks SUCCESS; replica promoted within \(promoted) of the kill, first publish on the new master \(firstPublishAfter.map { "\($0)" } ?? "none") after the old one was gone")
        #expect(lostAfterKill.isEmpty, "publishes the new master acknowledged are never lost")
        if wait { #expect(lost.isEmpty, "with WAIT every acknowledged publish survives the failover") }
        #expect(succeeded == ran.count)
        #expect(firstPublishAfter != nil)
        #expect(published.filter { $0.at > killedAt }.allSatisfy { ledger.count(of: $0.id) > 0 })

        worker.shutdown()
        try? await running.value
        try? await workerApp.broker.close()
        try? await client.broker.close()
        try await TestSentinel.script("wait-healthy")
    }
}
