import CeleryRedis
import Foundation
import Synchronization
import Testing

@testable import Celery

/// Real concurrency: schedulers run as tasks on a sped-up clock and publish to a real
/// transport (`memory://`, or Redis when `CELERY_TEST_REDIS_URL` is set).
@Suite("Beat end to end", .serialized)
struct EndToEndTests {
    /// Takes every ready message of a queue.
    func drain(_ broker: any Broker, queue: String) async throws -> [BrokerMessage] {
        let n = try await broker.queueLength(queue)
        guard n > 0 else { return [] }
        let c = try await broker.consume(.queue(queue), options: ConsumeOptions(prefetch: n))
        var out: [BrokerMessage] = []
        for _ in 0..<n {
            guard let d = try await c.next() else { break }
            out.append(d.message)
            try await d.ack()
        }
        await c.cancel()
        return out
    }

    func ticks(_ ms: [BrokerMessage]) -> [String] { ms.compactMap { $0.headers[BeatTick.header]?.stringValue } }

    @Test func entriesFireTheExpectedNumberOfTimesOnMemory() async throws {
        let name = "beat-e2e-\(UUID().uuidString)"
        let app = try await Celery(name: "e2e", broker: "memory://\(name)")
        let file = try BeatScheduleFile(json: Array(ScheduleFileTests.briefExample.utf8))
        let sub = try await app.broker.consume(.broadcast("cache-refresh"), options: ConsumeOptions())
        let refresh = Mutex<[String]>([])
        let reader = Task {
            while let d = try await sub.next() {
                refresh.withLock { $0.append(d.message.headers[BeatTick.header]?.stringValue ?? "") }
            }
        }
        // 50× speed from 23:58 in Shanghai (15:58 UTC), counted from the scheduler's first
        // reading (a loaded CI machine may start it seconds late): 6 s real ≈ 5 min of beat time.
        let clock = LazyScaledClock(factor: 50, start: utc("2026-11-28T15:58:00Z"))
        // At 50× a 10 s lateness is 0.2 s of real time: a loaded test machine would make ticks
        // "missed"; a wide lateness keeps this test about counts, not about catch-up.
        let opts = BeatOptions(maxInterval: .seconds(5), lateness: .seconds(3600))
        let s = try BeatScheduler(app: app, entries: file.entries, options: opts, clock: clock, logger: quiet)
        let task = Task { await s.run() }
        for _ in 0..<600 where await s.startedAt == nil { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(6000))
        task.cancel()
        await task.value
        let end = clock.now()
        let began = try #require(await s.startedAt)
        #expect(began < utc("2026-11-28T16:00:00Z"), "the machine is too slow for this test")
        let got = ticks(try await drain(app.broker, queue: "celery"))
        let hb = got.filter { $0.hasPrefix("heartbeat@") }
        // Every grid point from the start to the last tick recorded was sent, once; the last
        // recorded tick is recent (the scheduler kept up).
        let state = await s.currentState
        let lastHB = try #require(state.entries["heartbeat"]?.lastRun)
        #expect(end.timeIntervalSince(lastHB) < 300, "scheduler fell behind: last tick \(lastHB), now \(end)")
        let expectedHB = Int((lastHB.timeIntervalSince1970 / 10).rounded(.down) - (began.timeIntervalSince1970 / 10).rounded(.down))
        let skipped = await s.stats.skipped
        #expect(hb.count == expectedHB && state.entries["heartbeat"]?.runCount == expectedHB,
                "sent \(hb.count), expected \(expectedHB), skipped \(skipped)")
        #expect(Set(got).count == got.count)
        #expect(got.filter { $0.hasPrefix("flash-sale-cache@") } == ["flash-sale-cache@2026-11-28T16:00:00Z"])
        // The broadcast entry reached the live subscriber, once per minute.
        await sub.cancel()
        try await reader.value
        let lastRefresh = try #require(state.entries["refresh"]?.lastRun)
        let minutes = BeatSchedule.interval(.seconds(60)).upcoming(after: began, count: 30).filter { $0 <= lastRefresh }
        #expect(minutes.count >= 3)
        #expect(refresh.withLock { $0 } == minutes.map { BeatTick(entry: "refresh", time: $0).name })
        try await app.close()
    }

    @Test func twoRunningSchedulersSharingALeaseOnMemory() async throws {
        let app = try await Celery(name: "e2e", broker: "memory://beat-e2e-\(UUID().uuidString)")
        let clock = ScaledBeatClock(factor: 50)
        let shared = InMemoryBeatLease(clock: clock)
        let la = KillableLease(shared), lb = KillableLease(shared)
        let entry = BeatEntry(name: "hb", task: "tasks.echo", schedule: .interval(.seconds(1)))
        let opts = BeatOptions(lateness: .seconds(3600), leaseTTL: .seconds(6))
        let a = try BeatScheduler(app: app, entries: [entry], options: opts, lease: la, clock: clock, holder: "A", logger: quiet)
        let b = try BeatScheduler(app: app, entries: [entry], options: opts, lease: lb, clock: clock, holder: "B", logger: quiet)
        let ta = Task { await a.run() }
        try await Task.sleep(for: .milliseconds(20))
        let tb = Task { await b.run() }
        // Until one leads and has sent a few ticks (about 1 s; longer on a loaded machine).
        try await eventually {
            let (al, bl, sa, sb) = (await a.isLeader, await b.isLeader, await a.stats.sent, await b.stats.sent)
            return al != bl && max(sa, sb) > 5
        }
        let aLeads = await a.isLeader
        let bLeads = await b.isLeader
        #expect(aLeads != bLeads, "exactly one leader")
        // Crash the leader: it can no longer renew or release. The survivor takes over.
        if aLeads { la.kill() } else { lb.kill() }
        let survivor = aLeads ? b : a
        try await eventually {
            let (leads, sent) = (await survivor.isLeader, await survivor.stats.sent)
            return leads && sent > 5
        }
        ta.cancel()
        tb.cancel()
        await ta.value
        await tb.value
        let got = ticks(try await drain(app.broker, queue: "celery"))
        let sa = await a.stats.sent, sb = await b.stats.sent
        #expect(Set(got).count == got.count, "duplicate ticks: \(got.count - Set(got).count)")
        #expect(sa > 5 && sb > 5 && sa + sb == got.count, "A sent \(sa), B sent \(sb): the survivor took over")
        try await app.close()
    }

    @Test func againstRedis() async throws {
        guard let url = ProcessInfo.processInfo.environment["CELERY_TEST_REDIS_URL"] else {
            if inCI { Issue.record("CELERY_TEST_REDIS_URL is not set (required in CI)") }
            return
        }
        // The broker is memory:// (the Redis broker lives on another branch); the lease is real Redis.
        let queue = "beat-e2e"
        let app = try await Celery(name: "e2e", broker: "memory://beat-e2e-\(UUID().uuidString)")
        let clock = ScaledBeatClock(factor: 1)  // Redis expires keys in real time
        let key = "beat-e2e-lease-\(UUID().uuidString)"
        let la = KillableLease(try RedisBeatLease(url: url, key: key)), lb = KillableLease(try RedisBeatLease(url: url, key: key))
        let entry = BeatEntry(name: "hb", task: "tasks.echo", schedule: .interval(.milliseconds(100)), route: .queue(queue))
        let opts = BeatOptions(leaseTTL: .seconds(1))
        let a = try BeatScheduler(app: app, entries: [entry], options: opts, lease: la, clock: clock, holder: "A", logger: quiet)
        let b = try BeatScheduler(app: app, entries: [entry], options: opts, lease: lb, clock: clock, holder: "B", logger: quiet)
        let ta = Task { await a.run() }
        try await Task.sleep(for: .milliseconds(50))
        let tb = Task { await b.run() }
        try await eventually { await a.stats.sent > 8 }
        la.kill()
        try await eventually { await b.stats.sent > 8 }
        ta.cancel()
        tb.cancel()
        await ta.value
        await tb.value
        let ms = try await drain(app.broker, queue: queue)
        let got = ticks(ms)
        let sa = await a.stats.sent, sb = await b.stats.sent
        #expect(Set(got).count == got.count, "duplicate ticks with the Redis lease")
        #expect(sa > 8 && sb > 8 && sa + sb == got.count, "A sent \(sa), B sent \(sb), queue has \(got.count)")
        // Every message is a protocol v2 task whose id is its tick's deterministic id.
        for m in ms {
            let t = try TaskMessage(m)
            let tick = try #require(t.extraHeaders[BeatTick.header]?.stringValue)
            let parts = tick.split(separator: "@")
            #expect(t.id == BeatTick(entry: String(parts[0]), time: utc(String(parts[1]))).taskId)
        }
        if let l = la.inner as? RedisBeatLease { await l.close() }
        if let l = lb.inner as? RedisBeatLease { await l.close() }
        try await app.close()
    }
}

/// A sped-up clock whose time starts at `start` on its first reading, so a scheduler that
/// starts late on a loaded machine still begins at `start`.
final class LazyScaledClock: BeatClock {
    let factor: Double
    let start: Date
    private let origin = Mutex<ContinuousClock.Instant?>(nil)

    init(factor: Double, start: Date) {
        self.factor = factor
        self.start = start
    }

    func uptime() -> Duration {
        let o = origin.withLock { o -> ContinuousClock.Instant in
            if let o { return o }
            o = ContinuousClock.now
            return o!
        }
        return (ContinuousClock.now - o) * factor
    }

    func now() -> Date { start.addingTimeInterval(uptime().seconds) }
    func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration / factor) }
}

/// Waits until `condition` holds, checking every 20 ms; fails the test after `limit`. The
/// schedulers run in real (or scaled) time, so a loaded machine only makes this slower.
func eventually(_ limit: Duration = .seconds(30), _ condition: () async -> Bool) async throws {
    let end = ContinuousClock.now + limit
    while !(await condition()) {
        guard ContinuousClock.now < end else {
            Issue.record("condition not reached within \(limit)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
