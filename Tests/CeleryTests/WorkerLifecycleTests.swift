import Foundation
import Testing

@testable import Celery

@Suite struct WorkerLifecycleTests {
    @Test func phasesOnlyMoveForward() {
        let l = WorkerLifecycle()
        #expect(l.phase == .created)
        #expect(l.advance(to: .running) == .created)
        #expect(l.advance(to: .starting) == .running)
        #expect(l.phase == .running)
    }

    @Test func firstShutdownIsWarmTheSecondCold() {
        let l = WorkerLifecycle()
        l.advance(to: .running)
        #expect(l.requestShutdown() == .warmShutdown)
        #expect(l.requestShutdown() == .coldShutdown)
        #expect(l.requestShutdown() == .coldShutdown)
        l.advance(to: .stopped)
        #expect(l.requestShutdown() == .stopped)
    }

    @Test func waitersResumeWhenTheirPhaseOrALaterOneIsReached() async {
        let l = WorkerLifecycle()
        let warm = Task { await l.wait(until: .warmShutdown); return l.phase }
        let running = Task { await l.wait(until: .running); return l.phase >= .running }
        #expect(await !l.wait(until: .running, timeout: .milliseconds(20)))
        l.advance(to: .coldShutdown)  // skips running and warm: both waiters go on
        #expect(await warm.value == .coldShutdown)
        #expect(await running.value)
        #expect(await l.wait(until: .warmShutdown, timeout: .milliseconds(1)))
    }

    @Test func aCancelledWaiterReturnsAndLeavesNothingBehind() async {
        let l = WorkerLifecycle()
        let t = Task { await l.wait(until: .stopped) }
        try? await Task.sleep(for: .milliseconds(20))
        t.cancel()
        await t.value
        #expect(l.phase == .created)
    }

    /// A worker goes through the phases in order and reports them.
    @Test func aWorkerReportsItsPhase() async throws {
        let h = Harness()
        let w = Worker(app: h.app, options: WorkerOptions(concurrency: 1, hostname: "w@test"))
        #expect(w.phase == .created)
        let t = Task { try await w.run() }
        await w.waitUntilStarted()
        #expect(w.phase == .running)
        w.shutdown()
        try await t.value
        #expect(w.phase == .stopped)
    }
}
