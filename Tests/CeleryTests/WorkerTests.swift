import Foundation
import Testing

@testable import Celery
import ExampleTasks
import CeleryTestSupport

@Suite struct WorkerTests {
    @Test func runsATaskAndStoresItsResult() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        let add = TaskHandle<Int, Int, Int>(name: "tasks.add", app: h.app)
        let r = try await add.delay(2, 4)
        #expect(try await r.get(timeout: .seconds(5)) == 6)
        let meta = try #require(try await r.meta())
        #expect(meta.status == .success)
        #expect(meta.result == .int(6))
        #expect(meta.dateDone != nil)
        #expect(meta.dateStarted != nil)
        #expect((meta.runtime ?? -1) >= 0)
        #expect(meta.name == "tasks.add")
        #expect(meta.worker == "w1@test")
        #expect(meta.queue == "celery")
        let byKeyword = try await h.app.send(task: "tasks.add", args: [2], kwargs: ["y": 5])
        #expect(try await byKeyword.get(timeout: .seconds(5)) == 7)
        let floats = try await h.app.send(task: "tasks.mul", args: [1.5, 2])
        #expect(try await floats.get(timeout: .seconds(5)) == 3.0)
        let sum = try await h.app.send(task: "tasks.xsum", args: [[1, 2, 3.5]])
        #expect(try await sum.get(timeout: .seconds(5)) == 6.5)
        let echo = try await h.app.send(task: "tasks.echo", args: [["a": [1, nil, "ü"]]])
        #expect(try await echo.get(timeout: .seconds(5)) == ["a": [1, nil, "ü"]])
        w.shutdown()
        try await t.value
    }

    /// Without track-started the running task stays PENDING for clients (Celery's default),
    /// and the final state still records when it started and how long it ran.
    @Test func trackStartedOffSkipsTheStartedWrite() async throws {
        let h = Harness()
        var o = WorkerOptions(concurrency: 2, hostname: "w1@test")
        o.trackStarted = false
        let (w, t) = await h.startWorker(o)
        let sleeper = try await h.app.send(task: "tasks.sleep", args: [0.6])
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await sleeper.state() == .pending)
        let meta = try await sleeper.wait(timeout: .seconds(5))
        #expect(meta.status == .success)
        #expect(meta.dateStarted != nil)
        #expect((meta.runtime ?? 0) >= 0.5)
        w.shutdown()
        try await t.value
    }

    @Test func typedTasksDecodeArgumentsAndResults() async throws {
        let h = Harness()
        struct Point: Codable, Sendable, Equatable { var x: Int; var y: Int }
        let shift = h.app.task("tests.shift") { (_: TaskContext, p: Point, by: Int) in Point(x: p.x + by, y: p.y + by) }
        let (w, t) = await h.startWorker()
        let r = try await shift.delay(Point(x: 1, y: 2), 10)
        #expect(try await r.get(timeout: .seconds(5)) == Point(x: 11, y: 12))
        w.shutdown()
        try await t.value
    }

    @Test func failureIsStoredWithTypeMessageAndTraceback() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        let r = try await h.app.send(task: "tasks.fail", args: ["boom"])
        do {
            _ = try await r.get(timeout: .seconds(5))
            Issue.record("expected a failure")
        } catch let e as TaskError {
            #expect(e.type == "RuntimeError")
            #expect(e.module == "builtins")
            #expect(e.message == "boom")
            #expect(e.traceback?.contains("RuntimeError: boom") == true)
            #expect(e.state == .failure)
        }
        // The worker goes on.
        #expect(try await h.app.send(task: "tasks.add", args: [1, 1]).get(timeout: .seconds(5)) == 2)
        w.shutdown()
        try await t.value
    }

    @Test func retriesWithBackoffThenSucceeds() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        let r = try await h.app.send(task: "tasks.flaky", args: [2])
        #expect(try await r.get(timeout: .seconds(10)) == "ok")
        #expect(try await r.meta()?.retries == 2)
        #expect(w.stats.retried == 2)
        w.shutdown()
        try await t.value
    }

    @Test func explicitRetryStopsAtMaxRetries() async throws {
        let h = Harness()
        let calls = Counter()
        h.app.task("tests.always_retry") { (ctx: TaskContext) -> Int in
            calls.increment()
            throw ctx.retry(after: .milliseconds(20), maxRetries: 2)
        }
        let (w, t) = await h.startWorker()
        let r = try await h.app.send(task: "tests.always_retry")
        do {
            _ = try await r.get(timeout: .seconds(5))
            Issue.record("expected MaxRetriesExceeded")
        } catch let e as TaskError {
            #expect(e.type == "MaxRetriesExceededError")
        }
        #expect(calls.count == 3)
        w.shutdown()
        try await t.value
    }

    @Test func countdownDelaysWithoutHoldingASlot() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t"))
        let sent = Date()
        let later = try await h.app.send(task: "tasks.add", args: [1, 2], options: CallOptions(countdown: .seconds(3)))
        // The only slot stays free for an immediate task while the countdown runs.
        let now = try await h.app.send(task: "tasks.add", args: [3, 4])
        #expect(try await now.get(timeout: .seconds(5)) == 7)
        #expect(try await later.state() == .pending)
        #expect(w.scheduledTasks.map(\.id) == [later.id])
        #expect(try await later.get(timeout: .seconds(5)) == 3)
        let started = try #require(try await later.meta()?.dateStarted)
        #expect(started.timeIntervalSince(sent) >= 2.99)
        w.shutdown()
        try await t.value
    }

    @Test func expiredTaskIsRevokedNotRun() async throws {
        let h = Harness()
        let calls = Counter()
        h.app.task("tests.count") { (_: TaskContext) -> Int in calls.increment(); return 1 }
        let (w, t) = await h.startWorker()
        let r = try await h.app.send(task: "tests.count", options: CallOptions(expires: Date().addingTimeInterval(-1)))
        let meta = try await r.wait(timeout: .seconds(5))
        #expect(meta.status == .revoked)
        #expect(meta.error?.type == "TaskRevokedError")
        #expect(calls.count == 0)
        await #expect(throws: TaskError.self) { _ = try await r.get(timeout: .seconds(1)) }
        w.shutdown()
        try await t.value
    }

    @Test func softTimeLimitCancelsAndStoresFailure() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        let r = try await h.app.send(task: "tasks.sleep", args: [30], options: CallOptions(softTimeLimit: .milliseconds(200)))
        let meta = try await r.wait(timeout: .seconds(10))
        #expect(meta.status == .failure)
        #expect(meta.error?.type == "SoftTimeLimitExceeded")
        w.shutdown()
        try await t.value
    }

    @Test func revokeBeforeAndDuringRun() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        // Revoked before it arrives: never runs.
        let id = UUID().uuidString.lowercased()
        try await h.app.revoke(id)
        #expect(try await eventually { w.isRevoked(id) })
        let r1 = try await h.app.send(task: "tasks.add", args: [1, 2], options: CallOptions(taskId: id))
        #expect(try await r1.wait(timeout: .seconds(5)).status == .revoked)
        // Revoked with terminate while running.
        let r2 = try await h.app.send(task: "tasks.sleep", args: [30])
        #expect(try await eventually { try await r2.state() == .started })
        try await h.app.revoke(r2.id, terminate: true)
        let m2 = try await r2.wait(timeout: .seconds(5))
        #expect(m2.status == .revoked)
        w.shutdown()
        try await t.value
    }

    @Test func progressIsVisibleWhileRunning() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker()
        let r = try await h.app.send(task: "tasks.progress", args: [5, 0.1])
        var seen: Set<Int64> = []
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let m = try await r.meta() {
                if m.status == .progress, let c = m.result["current"]?.intValue {
                    seen.insert(c)
                    #expect(m.result["total"] == 5)
                }
                if m.status.isReady { break }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen.count >= 2)
        #expect(try await r.get(timeout: .seconds(5)) == 5)
        w.shutdown()
        try await t.value
    }

    @Test func broadcastRunsOnEverySubscribedWorker() async throws {
        let h = Harness()
        let calls = Counter()
        h.app.task("tests.refresh") { (_: TaskContext) -> Bool in calls.increment(); return true }
        let workers = await [
            h.startWorker(WorkerOptions(concurrency: 1, queues: [], broadcasts: ["cache-refresh"], hostname: "a@t")),
            h.startWorker(WorkerOptions(concurrency: 1, queues: [], broadcasts: ["cache-refresh"], hostname: "b@t")),
            h.startWorker(WorkerOptions(concurrency: 1, queues: [], broadcasts: ["cache-refresh"], hostname: "c@t")),
        ]
        let r = try await h.app.send(task: "tests.refresh", options: CallOptions(route: .broadcast("cache-refresh")))
        #expect(r.receipt?.receivers == 3)
        #expect(try await eventually { calls.count == 3 })
        for (w, t) in workers {
            w.shutdown()
            try await t.value
        }
        // Nobody listening: dropped.
        let dropped = try await h.app.send(task: "tests.refresh", options: CallOptions(route: .broadcast("cache-refresh")))
        #expect(dropped.receipt?.receivers == 0)
    }

    @Test func warmShutdownFinishesRunningAndReturnsPrefetched() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, prefetchMultiplier: 4, hostname: "w@t"))
        let running = try await h.app.send(task: "tasks.sleep", args: [0.5])
        var waiting: [AsyncResult<JSONValue>] = []
        for i in 0..<3 { waiting.append(try await h.app.send(task: "tasks.add", args: [.int(Int64(i)), 0])) }
        #expect(try await eventually { try await running.state() == .started })
        #expect(try await eventually { w.reservedTasks.count == 3 })
        #expect(Set(w.reservedTasks.map(\.id)) == Set(waiting.map(\.id)))
        w.shutdown()
        try await t.value
        #expect(try await running.state() == .success)
        for r in waiting { #expect(try await r.state() == .pending) }
        #expect(try await h.broker.queueLength("celery") == 3)
        #expect(h.broker.unackedCount(queue: "celery") == 0)
    }

    @Test func coldShutdownReturnsRunningMessages() async throws {
        let h = Harness()
        let (w, t) = await h.startWorker(WorkerOptions(concurrency: 1, hostname: "w@t", shutdownTimeout: .seconds(30)))
        let r = try await h.app.send(task: "tasks.sleep", args: [60])
        #expect(try await eventually { try await r.state() == .started })
        w.shutdown()
        w.shutdown()
        try await t.value
        #expect(try await h.broker.queueLength("celery") == 1)
        // A new worker picks it up again, as a redelivery.
        let (w2, t2) = await h.startWorker()
        #expect(try await eventually { w2.activeTasks.first?.deliveryCount == 2 })
        try await h.app.revoke(r.id, terminate: true)
        #expect(try await r.wait(timeout: .seconds(5)).status == .revoked)
        w2.shutdown()
        try await t2.value
    }

    @Test func lateAckMeansCrashRedelivers() async throws {
        let h = Harness()
        let consumer = try await h.broker.consume(.queue("celery"), options: ConsumeOptions(prefetch: 1))
        _ = try await h.app.send(task: "tasks.add", args: [20, 22])
        let first = try #require(try await consumer.next())
        #expect(!first.redelivered)
        await consumer.cancel()  // the "worker" dies without acking
        let (w, t) = await h.startWorker()
        let r: AsyncResult<Int> = h.app.result(id: try #require(first.message.taskId), as: Int.self)
        #expect(try await r.get(timeout: .seconds(5)) == 42)
        w.shutdown()
        try await t.value
    }
}
