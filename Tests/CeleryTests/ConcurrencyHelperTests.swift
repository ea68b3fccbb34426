import Foundation
import Synchronization
import Testing

@testable import Celery

/// A value shared between test tasks.
final class Shared<Value: Sendable>: Sendable {
    private let m: Mutex<Value>
    init(_ v: Value) { m = Mutex(v) }
    func with<R: Sendable>(_ body: (inout Value) -> R) -> R { m.withLock { body(&$0) } }
    var value: Value { m.withLock { $0 } }
}

@Suite struct AsyncEventTests {
    @Test func fireReleasesWaitersAndLaterWaitsReturnAtOnce() async {
        let e = AsyncEvent()
        #expect(!e.isFired)
        let waiters = (0..<3).map { _ in Task { await e.wait(); return e.isFired } }
        try? await Task.sleep(for: .milliseconds(10))
        #expect(e.fire())
        #expect(!e.fire())
        for w in waiters { #expect(await w.value) }
        await e.wait()
        #expect(await e.wait(timeout: .milliseconds(1)))
    }

    @Test func waitWithTimeoutReportsWhetherItFired() async {
        let e = AsyncEvent()
        #expect(await !e.wait(timeout: .milliseconds(20)))
        Task { try? await Task.sleep(for: .milliseconds(10)); e.fire() }
        #expect(await e.wait(timeout: .seconds(5)))
    }

    @Test func aCancelledWaiterReturnsWithoutTheEvent() async {
        let e = AsyncEvent()
        let t = Task { await e.wait(); return e.isFired }
        try? await Task.sleep(for: .milliseconds(10))
        t.cancel()
        #expect(await t.value == false)
    }
}

@Suite struct FirstCompletionTests {
    @Test func theFirstCompletionWinsAndLaterOnesAreIgnored() async {
        let race = FirstCompletion<Int>()
        let reader = Task { await race.value }
        #expect(race.complete(1))
        #expect(!race.complete(2))
        #expect(await reader.value == 1)
        #expect(await race.value == 1)
        #expect(race.isCompleted)
    }

    @Test func aBodyRacedAgainstATimerLosesWhenSlow() async {
        let race = FirstCompletion<String>()
        let body = Task {
            try? await Task.sleep(for: .seconds(10))
            race.complete("body")
        }
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(10))
            race.complete("timer")
        }
        #expect(await race.value == "timer")
        body.cancel()
        timer.cancel()
    }
}

@Suite struct DeadlineTests {
    @Test func returnsTheValueWhenInTime() async throws {
        let v = try await withDeadline(.seconds(5)) { () async throws -> Int? in 42 }
        #expect(v == 42)
    }

    @Test func cancelsTheOperationAtTheDeadline() async throws {
        let cancelled = Shared(false)
        let v = try await withDeadline(.milliseconds(20)) { () async throws -> Int? in
            do { try await Task.sleep(for: .seconds(10)) } catch {
                cancelled.with { $0 = true }
                throw error
            }
            return 1
        }
        #expect(v == nil)
        #expect(cancelled.value)
    }

    @Test func aValueProducedAsTheDeadlineFiresIsKept() async throws {
        // The operation ignores cancellation and still produces its value: it is returned.
        let v = try await withDeadline(.milliseconds(5)) { () async throws -> Int? in
            let end = ContinuousClock.now + .milliseconds(30)
            while ContinuousClock.now < end { await Task.yield() }
            return 7
        }
        #expect(v == 7)
    }

    struct Boom: Error {}
    @Test func otherErrorsPropagate() async {
        await #expect(throws: Boom.self) { _ = try await withDeadline(.seconds(5)) { () async throws -> Int? in throw Boom() } }
    }
}

@Suite struct SerialGateTests {
    @Test func runsOneAtATimeInArrivalOrder() async throws {
        let gate = SerialGate()
        let inside = Shared((now: 0, most: 0, order: [Int]()))
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<20 {
                g.addTask {
                    try await gate.run {
                        inside.with { s in s.now += 1; s.most = max(s.most, s.now); s.order.append(i) }
                        try await Task.sleep(for: .microseconds(200))
                        inside.with { $0.now -= 1 }
                    }
                }
            }
            try await g.waitForAll()
        }
        let s = inside.value
        #expect(s.most == 1)
        #expect(s.order.count == 20)
    }

    struct Boom: Error {}
    @Test func anErrorFreesTheGate() async throws {
        let gate = SerialGate()
        await #expect(throws: Boom.self) { try await gate.run { throw Boom() } }
        #expect(try await gate.run { 5 } == 5)
    }
}

@Suite struct BackoffTests {
    @Test func growsByTheMultiplierUpToTheMaximum() {
        let b = Backoff(initial: .milliseconds(100), multiplier: 2, maximum: .seconds(1))
        #expect((0..<6).map { b.delay(attempt: $0) } == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        #expect(b.delay(attempt: -3) == .milliseconds(100))
        #expect(b.delay(attempt: 10_000) == .seconds(1))
    }

    @Test func jitterStaysWithinHalfToAllOfTheDelay() {
        let b = Backoff(initial: .seconds(1), multiplier: 3, maximum: .seconds(100), jitter: true)
        for attempt in 0..<4 {
            let full = [1.0, 3, 9, 27][attempt]
            for _ in 0..<50 {
                let d = b.delay(attempt: attempt).seconds
                #expect(d >= full * 0.5 - 0.001 && d <= full + 0.001)
            }
        }
    }

    @Test func retryPolicyDelaysAreItsBackoff() {
        let p = RetryPolicy(maxRetries: 5, initialDelay: .milliseconds(250), multiplier: 4, maxDelay: .seconds(3), jitter: false)
        for r in 0..<5 { #expect(p.delay(afterRetries: r) == p.backoff.delay(attempt: r)) }
        #expect(p.delay(afterRetries: 1) == .seconds(1))
        #expect(p.delay(afterRetries: 2) == .seconds(3))
    }

    @Test func sleepReturnsFalseWhenCancelled() async {
        let t = Task { await Backoff(initial: .seconds(10)).sleep(attempt: 0) }
        t.cancel()
        #expect(await t.value == false)
    }
}

@Suite struct ThreadPoolTaskExecutorTests {
    @Test func runsBodiesOnItsOwnThreads() async {
        let pool = ThreadPoolTaskExecutor(threads: 2)
        let callerThread = pthread_self()
        let thread = await withTaskExecutorPreference(pool) { () async -> pthread_t in
            usleep(1000)  // a blocking call: it holds one of the pool's threads
            return pthread_self()
        }
        #expect(pthread_equal(thread, callerThread) == 0)
    }

    /// Four bodies that each block until all four are inside: only possible on four threads.
    @Test func blockingBodiesRunSideBySide() async {
        let pool = ThreadPoolTaskExecutor(threads: 4)
        let arrived = Shared(0)
        let all = await withTaskGroup(of: Bool.self) { g in
            for _ in 0..<4 {
                g.addTask {
                    await withTaskExecutorPreference(pool) { () async -> Bool in
                        arrived.with { $0 += 1 }
                        for _ in 0..<5000 where arrived.value < 4 { usleep(1000) }
                        return arrived.value == 4
                    }
                }
            }
            var ok = true
            for await r in g { ok = ok && r }
            return ok
        }
        #expect(all)
    }

    /// One thread: a serial executor; work enqueued after shutdown() still runs.
    @Test func aSingleThreadPoolIsSerialAndSurvivesShutdown() async {
        let pool = ThreadPoolTaskExecutor(threads: 1)
        let threads = Shared(Set<UInt>())
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<4 {
                g.addTask { await withTaskExecutorPreference(pool) { threads.with { _ = $0.insert(UInt(bitPattern: Int(pthread_self()))) } } }
            }
        }
        #expect(threads.value.count == 1)
        pool.shutdown()
        let ran = await withTaskExecutorPreference(pool) { () async -> Bool in
            try? await Task.sleep(for: .milliseconds(1))
            return true
        }
        #expect(ran)
    }
}
