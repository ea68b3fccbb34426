import Foundation
import Testing

@testable import Celery
import ExampleTasks
import CeleryTestSupport

/// Execution slots: a body runs inline in its slot, a terminated one is replaced, blocking
/// bodies run on the blocking pool, and every settlement is carried out.
@Suite struct WorkerSlotTests {
    @Test func aTerminatedTaskFreesItsSlotForTheNext() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        let long = try await h.app.send(task: "tasks.sleep", args: [30])
        #expect(try await eventually { try await long.state() == .started })
        try await h.app.revoke(long.id, terminate: true)
        #expect(try await long.wait(timeout: .seconds(5)).status == .revoked)
        // The only slot was cancelled; a fresh one runs what comes next.
        let next = try await h.app.send(task: "tasks.add", args: [1, 2])
        #expect(try await next.get(timeout: .seconds(5)) == 3)
        // Late acks: the result is stored first, the ack follows, so it may come just after.
        #expect(await eventually(.seconds(5)) { h.broker.unackedCount(queue: "celery") == 0 })
        w.shutdown()
        try await t.value
    }

    @Test func blockingTasksRunOnTheBlockingPool() async throws {
        let h = Harness()
        // Each body blocks its thread until all four are inside: four threads at once, more
        // than Swift's cooperative pool has on a small machine.
        let inside = Shared(0)
        h.app.task("tests.blocking", options: TaskOptions(blocking: true)) { (_: TaskContext, n: Int) -> Bool in
            inside.with { $0 += 1 }
            for _ in 0..<3000 where inside.value < n { usleep(1000) }
            return inside.value >= n
        }
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 4, hostname: "w@t"))
        var rs: [AsyncResult<JSONValue>] = []
        for _ in 0..<4 { rs.append(try await h.app.send(task: "tests.blocking", args: [4])) }
        for r in rs { #expect(try await r.get(timeout: .seconds(10)) == true) }
        w.shutdown()
        try await t.value
    }

    @Test func aTimeLimitedTaskStillRunsInAChildAndTimesOut() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        let r = try await h.app.send(task: "tasks.sleep", args: [30], options: CallOptions(softTimeLimit: .milliseconds(100)))
        let meta = try await r.wait(timeout: .seconds(10))
        #expect(meta.status == .failure)
        #expect(meta.error?.type == "SoftTimeLimitExceeded")
        let next = try await h.app.send(task: "tasks.add", args: [2, 2])
        #expect(try await next.get(timeout: .seconds(5)) == 4)
        w.shutdown()
        try await t.value
    }

    @Test func earlyAcksAckBeforeTheRun() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, acksLate: false, hostname: "w@t"))
        let r = try await h.app.send(task: "tasks.sleep", args: [0.5])
        #expect(try await eventually { try await r.state() == .started })
        #expect(h.broker.unackedCount(queue: "celery") == 0, "acknowledged as it started")
        #expect(try await r.wait(timeout: .seconds(5)).status == .success)
        w.shutdown()
        try await t.value
    }

    @Test func statsCountRunsPerTaskName() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        for i in 0..<3 { _ = try await h.app.send(task: "tasks.add", args: [.int(Int64(i)), 1]).get(timeout: .seconds(5)) }
        _ = try await h.app.send(task: "tasks.mul", args: [2, 3]).get(timeout: .seconds(5))
        #expect(try await eventually { w.stats.total == ["tasks.add": 3, "tasks.mul": 1] })
        w.shutdown()
        try await t.value
    }

    @Test func slotsAddedByPoolGrowRunTasksAndShrinkRetiresThem() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        _ = w.growPool(by: 2)
        #expect(w.poolSize == 3)
        // Three long tasks at once need the two added slots (the start concurrency is 1).
        var long: [AsyncResult<JSONValue>] = []
        for _ in 0..<3 { long.append(try await h.app.send(task: "tasks.sleep", args: [30])) }
        #expect(try await eventually { try await long.asyncAllSatisfy { try await $0.state() == .started } })
        for r in long { try await h.app.revoke(r.id, terminate: true) }
        for r in long { #expect(try await r.wait(timeout: .seconds(5)).status == .revoked) }
        _ = w.shrinkPool(by: 2)
        #expect(w.poolSize == 1)
        let error = w.shrinkPool(by: 1)
        #expect(error["error"] != nil)
        // The start slot still runs work after the added ones retired.
        let next = try await h.app.send(task: "tasks.add", args: [1, 2])
        #expect(try await next.get(timeout: .seconds(5)) == 3)
        w.shutdown()
        try await t.value
    }
}

extension Array {
    fileprivate func asyncAllSatisfy(_ p: (Element) async throws -> Bool) async rethrows -> Bool {
        for e in self where try await !p(e) { return false }
        return true
    }
}

