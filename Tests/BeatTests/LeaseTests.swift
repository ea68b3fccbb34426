import Foundation
import Testing

@testable import Celery

@Suite("Leases")
struct LeaseTests {
    @Test func inMemoryLeaseSemantics() async throws {
        let clock = ManualBeatClock(start: utc("2026-11-28T00:00:00Z"))
        let lease = InMemoryBeatLease(clock: clock)
        #expect(try await lease.acquire(holder: "a", ttl: .seconds(30)))
        #expect(try await !lease.acquire(holder: "b", ttl: .seconds(30)))
        #expect(try await lease.acquire(holder: "a", ttl: .seconds(30)))  // already ours
        #expect(try await lease.renew(holder: "a", ttl: .seconds(30)))
        #expect(try await !lease.renew(holder: "b", ttl: .seconds(30)))
        try await lease.release(holder: "b")  // not b's: no effect
        #expect(lease.holder == "a")
        clock.advance(by: .seconds(31))
        #expect(lease.holder == nil)
        #expect(try await !lease.renew(holder: "a", ttl: .seconds(30)))
        #expect(try await lease.acquire(holder: "b", ttl: .seconds(30)))
        try await lease.release(holder: "b")
        #expect(lease.holder == nil)
    }

    /// Two schedulers, one lease, one fake clock, woken in lock step.
    func lockstep(
        _ a: BeatScheduler, _ b: BeatScheduler, _ clock: ManualBeatClock, until end: Date, onStep: (Date) -> Void = { _ in }
    ) async {
        while clock.now() <= end {
            let pa = await a.wake()
            let pb = await b.wake()
            onStep(clock.now())
            clock.advance(by: max(.milliseconds(1), min(pa, pb)))
        }
    }

    @Test func twoSchedulersOneLeaseNeverDoubleSendAndTakeOverAfterKill() async throws {
        let start = utc("2026-11-28T00:00:00Z")
        let clock = ManualBeatClock(start: start)
        let shared = InMemoryBeatLease(clock: clock)
        let leaseA = KillableLease(shared), leaseB = KillableLease(shared)
        let (app, broker) = recordingApp()
        let entry = BeatEntry(name: "hb", task: "t", schedule: .interval(.seconds(1)))
        let opts = BeatOptions(leaseTTL: .seconds(30))
        let a = try BeatScheduler(app: app, entries: [entry], options: opts, lease: leaseA, clock: clock, holder: "A", logger: quiet)
        let b = try BeatScheduler(app: app, entries: [entry], options: opts, lease: leaseB, clock: clock, holder: "B", logger: quiet)
        await lockstep(a, b, clock, until: start.addingTimeInterval(100))
        var (al, bl) = (await a.isLeader, await b.isLeader)
        #expect(al && !bl)
        let before = broker.ticks
        #expect(before.count == 100 && Set(before).count == 100)
        // Kill A: no renewal, no release. It must stop sending before the lease expires,
        // and B takes over once the TTL has passed.
        leaseA.kill()
        var aStoppedAt: Date?
        await lockstep(a, b, clock, until: start.addingTimeInterval(200)) { now in
            if aStoppedAt == nil, shared.holder != "A" { aStoppedAt = now }
        }
        let ticks = broker.ticks
        #expect(Set(ticks).count == ticks.count, "a tick was sent twice")
        let aSent = await a.stats.sent, bSent = await b.stats.sent
        #expect(aSent + bSent == ticks.count)
        (al, bl) = (await a.isLeader, await b.isLeader)
        #expect(bl && !al)
        // A's last tick is before its lease expired; B's first tick is after it.
        let times = ticks.map { utc(String($0.split(separator: "@")[1])) }
        let expiry = try #require(aStoppedAt)
        #expect(times[aSent - 1] < expiry && times[aSent] >= expiry)
        // The gap is bounded by the TTL (plus one renewal period).
        #expect(times[aSent].timeIntervalSince(times[aSent - 1]) <= 40)
        #expect(bSent > 50)
    }

    @Test func holderThatCannotRenewStopsBeforeExpiry() async throws {
        let start = utc("2026-11-28T00:00:00Z")
        let clock = ManualBeatClock(start: start)
        let shared = InMemoryBeatLease(clock: clock)
        let lease = KillableLease(shared)
        let (app, broker) = recordingApp()
        let s = try BeatScheduler(
            app: app, entries: [BeatEntry(name: "hb", task: "t", schedule: .interval(.seconds(1)))],
            options: BeatOptions(leaseTTL: .seconds(30)), lease: lease, clock: clock, holder: "A", logger: quiet)
        await drive(s, clock, until: start.addingTimeInterval(15))  // renewed at 10 s: valid until 10 + 27
        lease.kill()
        var lastWhileHeld = start
        while clock.now() < start.addingTimeInterval(120) {
            let p = await s.wake()
            if shared.holder == "A" { lastWhileHeld = clock.now() }
            clock.advance(by: max(.milliseconds(1), p))
        }
        let last = try #require(broker.ticks.last)
        #expect(last == "hb@2026-11-28T00:00:36Z")  // stopped TTL/10 before the lease could expire (at 40 s)
        #expect(lastWhileHeld >= start.addingTimeInterval(36))
        let losses = await s.stats.losses
        #expect(losses == 1)
    }

    @Test func redisLease() async throws {
        guard let url = ProcessInfo.processInfo.environment["CELERY_TEST_REDIS_URL"] else {
            if inCI { Issue.record("CELERY_TEST_REDIS_URL is not set (required in CI)") }
            return
        }
        let key = "beat-test-lease-\(UUID().uuidString)"
        let a = try RedisLeaseFactory.make(url: url, key: key)
        let b = try RedisLeaseFactory.make(url: url, key: key)
        #expect(try await a.acquire(holder: "A", ttl: .milliseconds(600)))
        #expect(try await !b.acquire(holder: "B", ttl: .milliseconds(600)))
        #expect(try await a.acquire(holder: "A", ttl: .milliseconds(600)))
        #expect(try await a.renew(holder: "A", ttl: .milliseconds(600)))
        #expect(try await !b.renew(holder: "B", ttl: .milliseconds(600)))
        try await b.release(holder: "B")  // not B's
        #expect(try await !b.acquire(holder: "B", ttl: .milliseconds(600)))
        try await Task.sleep(for: .milliseconds(800))  // A's lease expires in Redis
        #expect(try await !a.renew(holder: "A", ttl: .milliseconds(600)))
        #expect(try await b.acquire(holder: "B", ttl: .seconds(5)))
        try await b.release(holder: "B")
        #expect(try await a.acquire(holder: "A", ttl: .seconds(5)))
        try await a.release(holder: "A")
        await a.close()
        await b.close()
    }

    @Test func redisLeaseUnreachableIsAnError() async throws {
        let lease = try RedisLeaseFactory.make(url: "redis://127.0.0.1:1/0", key: "k")
        await #expect(throws: CeleryError.self) { _ = try await lease.acquire(holder: "A", ttl: .seconds(3)) }
        await lease.close()
        #expect(throws: CeleryError.self) { _ = try RedisLeaseFactory.make(url: "redis://host:notaport/0", key: "k") }
    }
}

@Suite("File lock lease")
struct FileLockLeaseTests {
    @Test func excludesAndReleases() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("beat-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = FileLockBeatLease(path: path), b = FileLockBeatLease(path: path)
        #expect(try await a.acquire(holder: "A", ttl: .seconds(1)))
        #expect(try await !b.acquire(holder: "B", ttl: .seconds(1)))
        #expect(try await a.renew(holder: "A", ttl: .seconds(1)))
        #expect(try await !b.renew(holder: "B", ttl: .seconds(1)))
        try await a.release(holder: "A")
        #expect(try await b.acquire(holder: "B", ttl: .seconds(1)))
        #expect(try await !a.acquire(holder: "A", ttl: .seconds(1)))
        try await b.release(holder: "B")
        await #expect(throws: CeleryError.self) {
            _ = try await FileLockBeatLease(path: "/nonexistent-dir/x.lock").acquire(holder: "A", ttl: .seconds(1))
        }
    }
}
