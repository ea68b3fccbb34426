import ArgumentParser
import Celery
import CeleryTestSupport
import ExampleTasks
import Foundation
import Testing

@testable import CeleryBench
@testable import CeleryCommands

/// The admin commands against a worker in this process, over a shared `memory://NAME`.
@Suite struct AdminFlowTests {
    func startWorker(_ name: String) async throws -> (Celery, Worker, Task<Void, any Error>) {
        let app = try await Celery(name: "t", broker: "memory://\(name)", backend: "memory://\(name)")
        ExampleTasks.register(on: app)
        let w = Worker(app: app, options: WorkerOptions(concurrency: 2, hostname: "w-\(name)@test"))
        let t = Task { try await w.run() }
        await w.waitUntilStarted()
        return (app, w, t)
    }

    @Test func callWaitInspectRevokeAndControl() async throws {
        let name = "admin-\(UUID().uuidString.prefix(8))"
        let (app, w, t) = try await startWorker(name)
        let flags = ["--broker", "memory://\(name)", "--result-backend", "memory://\(name)"]

        var call = try CallCommand.parse(["tasks.add", "--args", "[2, 4]", "--wait", "--timeout", "5"] + flags)
        try await call.run()

        let replies = try await app.controlClient.call("ping", timeout: .milliseconds(1500))
        #expect(replies["w-\(name)@test"] == ["ok": "pong"])
        let registered = try await app.controlClient.call("registered", timeout: .milliseconds(1500))
        #expect(registered["w-\(name)@test"]?.arrayValue?.contains("tasks.flaky") == true)

        // A sleeping task shows up as active, then is revoked with terminate through the CLI.
        let sleeper = try await app.send(task: "tasks.sleep", args: [30])
        #expect(try await eventually { try await sleeper.state() == .started })
        let active = try await app.controlClient.call("active", timeout: .milliseconds(1500))
        #expect(active["w-\(name)@test"]?.arrayValue?.first?["id"]?.stringValue == sleeper.id)
        var revoke = try ControlCommand.parse(["revoke", sleeper.id, "--terminate", "--timeout", "0.3"] + flags)
        try await revoke.run()
        #expect(try await sleeper.wait(timeout: .seconds(5)).status == .revoked)

        // rate_limit and add_consumer/cancel_consumer.
        var rate = try ControlCommand.parse(["rate_limit", "tasks.add", "100/s", "--timeout", "0.3"] + flags)
        try await rate.run()
        var add = try ControlCommand.parse(["add_consumer", "extra", "--timeout", "0.3"] + flags)
        try await add.run()
        #expect(w.consumedRoutes.contains(.queue("extra")))
        let viaExtra = try await app.send(task: "tasks.add", args: [1, 1], options: CallOptions(route: .queue("extra")))
        #expect(try await viaExtra.get(timeout: .seconds(5)) == 2)
        var cancel = try ControlCommand.parse(["cancel_consumer", "extra", "--timeout", "0.3"] + flags)
        try await cancel.run()
        #expect(!w.consumedRoutes.contains(.queue("extra")))

        // tasks listing works on a searchable backend.
        var tasks = try TasksCommand.parse(["--state", "SUCCESS"] + flags)
        try await tasks.run()

        // purge removes waiting messages.
        _ = try await app.send(task: "tasks.add", args: [1, 1], options: CallOptions(route: .queue("parked")))
        var purge = try PurgeCommand.parse(["-Q", "parked", "-f"] + flags)
        try await purge.run()
        #expect(try await app.broker.queueLength("parked") == 0)

        // shutdown through remote control stops the worker.
        var shutdown = try ControlCommand.parse(["shutdown", "--timeout", "0.3"] + flags)
        try await shutdown.run()
        try await t.value
    }

    @Test func eventsAreBroadcast() async throws {
        let name = "events-\(UUID().uuidString.prefix(8))"
        let broker = InMemoryBroker.named(name)
        let sub = try await broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
        let (app, w, t) = try await startWorker(name)
        _ = try await app.send(task: "tasks.add", args: [1, 2]).get(timeout: .seconds(5))
        var types: [String] = []
        while let d = try await sub.next(within: .milliseconds(300)) {
            for e in EventDispatcher.events(in: d.message) { if let type = e["type"]?.stringValue { types.append(type) } }
        }
        #expect(types.contains("worker-online"))
        #expect(types.contains("task-received"))
        #expect(types.contains("task-started"))
        #expect(types.contains("task-succeeded"))
        var state = EventState()
        w.shutdown()
        try await t.value
        while let d = try await sub.next(within: .milliseconds(300)) {
            for e in EventDispatcher.events(in: d.message) { state.apply(e) }
        }
        #expect(state.workers["w-\(name)@test"]?.offline == true)
    }

    static var demoBrokers: [String] {
        ["memory://"] + ["CELERY_TEST_REDIS_URL", "CELERY_TEST_AMQP_URL"].compactMap { ProcessInfo.processInfo.environment[$0] }.filter { !$0.isEmpty }
    }

    @Test(arguments: demoBrokers)
    func demoScenariosHoldTheirSemantics(url: String) async throws {
        var runner = DemoRunner(brokerURL: url, consumers: 3, messages: 30)
        runner.useChildProcess = false  // this test binary is not celery-demo; InteropTests kill a real process
        let report = try await runner.run(["fanout", "offline", "crash"])
        func row(_ n: String, _ m: String) throws -> ScenarioResult { try #require(report.scenarios.first { $0.name == n && $0.mode == m }) }
        #expect(try row("fanout", "broadcast").receivedTotal == 90)
        #expect(try row("fanout", "broadcast").receivedPerConsumer == [30, 30, 30])
        #expect(try row("fanout", "queue").receivedTotal == 30)
        #expect(try row("fanout", "queue").duplicates == 0)
        #expect(try row("offline", "broadcast").receivedTotal == 0)
        #expect(try row("offline", "queue").receivedTotal == 30)
        #expect(try row("crash", "queue").lost == 0)
        #expect(try row("crash", "queue").redelivered ?? 0 > 0)
        #expect(try row("crash", "broadcast").lost ?? 0 > 0)
        #expect(report.conclusions["fanout"]?.contains("90 copies") == true)
        #expect(try row("crash", "queue").receivedTotal >= 30)
        let json = try ReportRendering.json(report)
        #expect(json.contains("\"received_per_consumer\""))
        #expect(ReportRendering.html(report).contains("<svg"))
    }
}


@Suite struct EventStateTests {
    @Test func aWorkerIsOfflineAfterTwoMissedHeartbeats() {
        var state = EventState()
        state.apply(["type": "worker-heartbeat", "hostname": "w@h", "timestamp": 1000.0, "freq": 2.0, "active": 1, "processed": 5])
        state.expire(now: 1003)
        #expect(state.workers["w@h"]?.offline == false)
        state.expire(now: 1004.5)
        #expect(state.workers["w@h"]?.offline == true)
        state.apply(["type": "worker-heartbeat", "hostname": "w@h", "timestamp": 1005.0])
        #expect(state.workers["w@h"]?.offline == false)
        state.apply(["type": "task-received", "uuid": "t1", "name": "tasks.add", "timestamp": 1005.0])
        state.apply(["type": "task-started", "uuid": "t1", "timestamp": 1005.1])
        state.apply(["type": "task-succeeded", "uuid": "t1", "runtime": 0.2, "timestamp": 1005.3])
        #expect(state.counts["SUCCEEDED"] == 1 && state.counts["STARTED"] == 0)
        #expect(state.render(now: 1006).contains("tasks.add"))
    }
}

@Suite struct BenchCommandTests {
    @Test func benchCountsEveryTaskThroughEvents() async throws {
        let recorder = BenchRecorder(expected: 3)
        for id in ["a", "b", "c"] { recorder.sent(id) }
        let name = "bench-\(UUID().uuidString.prefix(8))"
        let broker = InMemoryBroker.named(name)
        let sub = try await broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
        let collector = Task { await recorder.collect(from: sub) }
        let events = EventDispatcher(broker: broker, hostname: "w@t", logger: .init(label: "t"))
        for id in ["a", "b", "c"] {
            await events.send("task-started", ["uuid": .string(id)])
            await events.send("task-succeeded", ["uuid": .string(id), "runtime": 0.001])
        }
        #expect(await recorder.waitDone(timeout: 5))
        let report = recorder.report(start: Date().addingTimeInterval(-1), enqueueSeconds: 0.5, finished: true)
        #expect(report["completed"] == 3)
        #expect(report["send_to_result_p50_ms"]?.doubleValue != nil)
        collector.cancel()
        await sub.cancel()
    }

    @Test func benchRunsInProcessOnMemory() async throws {
        var cmd = try BenchCommand.parse(["--broker", "memory://bench-\(UUID().uuidString.prefix(8))", "--tasks", "200", "--concurrency", "2", "--json", "--timeout", "60"])
        try await cmd.run()  // exits non-zero (throws) unless every task finished
    }

    /// `--rate` paces sending: 40 tasks at 100/s cannot be sent in less than 0.39 s.
    @Test func benchPacesSendingAtARate() async throws {
        var cmd = try BenchCommand.parse(["--broker", "memory://bench-\(UUID().uuidString.prefix(8))", "--tasks", "40", "--rate", "100", "--timeout", "60"])
        let t0 = ContinuousClock.now
        try await cmd.run()
        #expect(ContinuousClock.now - t0 >= .milliseconds(390))
    }

    /// `--broker-ceiling`: every message published is delivered and acknowledged once (eight
    /// takers on one consumer), and the queue is left empty.
    @Test func brokerCeilingMovesEveryMessageOnce() async throws {
        let name = "ceiling-\(UUID().uuidString.prefix(8))"
        let broker = InMemoryBroker.named(name)
        let out = try await BenchCeiling.run(broker: broker, messages: 3000, queue: "cq")
        #expect(out["received"] == 3000 && out["messages"] == 3000)
        #expect((out["publish_per_s"]?.doubleValue ?? 0) > 0 && (out["deliver_ack_per_s"]?.doubleValue ?? 0) > 0)
        #expect(try await broker.queueLength("cq") == 0)
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--broker-ceiling", "--mode", "broadcast"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--broker-ceiling", "--external"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--broker-ceiling", "--rate", "100"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--broker-ceiling", "--producers", "2"]) }
        let big = try await BenchCeiling.run(broker: broker, messages: 10, queue: "cq", payload: 4096)
        #expect(big["received"] == 10 && (big["body_bytes"]?.intValue ?? 0) > 4096)
        var cmd = try BenchCommand.parse(["--broker", "memory://\(name)", "--broker-ceiling", "--tasks", "500", "--json"])
        try await cmd.run()
    }

    /// A spawned worker that exits at once ends the run with an error, not after the timeout.
    @Test func benchStopsWhenTheSpawnedWorkerExits() async throws {
        var cmd = try BenchCommand.parse(["--broker", "memory://bench-\(UUID().uuidString.prefix(8))", "--tasks", "5", "--spawn-worker", "exit 3", "--timeout", "60"])
        let t0 = ContinuousClock.now
        await #expect(throws: ExitCode.self) { try await cmd.run() }
        #expect(ContinuousClock.now - t0 < .seconds(30))
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--rate", "-1"]) }
    }
}
