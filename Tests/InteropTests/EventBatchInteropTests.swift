import Celery
import CeleryRabbitMQ
import CeleryRedis
import CeleryTestSupport
import Foundation
import Testing

/// Batched task events (`task.multi`, a JSON list of events) both ways with Python Celery 5:
/// a prefork worker's batches reach `celery-admin events`, and Celery's own receiver (what
/// `celery events` and Flower use) unpacks ours, on Redis and RabbitMQ.
@Suite(.serialized) struct EventBatchInteropTests {
    init() {
        RedisTransport.register()
        RabbitMQTransport.register()
    }

    var admin: String { Interop.root + "/.build/debug/celery-admin" }

    /// `nil`: our default (batches of 24); "1": `--events-batch 1`, every event alone.
    static let batchFlags: [String?] = [nil, "1"]

    @Test(arguments: Interop.brokers, batchFlags)
    func pythonReceiverUnpacksOurBatches(broker: String, batch: String?) async throws {
        guard Interop.available, let backend = Interop.backends.first else { return }
        let name = Interop.unique("batched") + "@test"
        let q = Interop.unique("evbatch")
        var args = ["--broker", broker, "--result-backend", backend, "-c", "4", "-n", name, "-Q", q, "-l", "info"]
        if let batch { args += ["--events-batch", batch] }
        let w = try Child(Interop.workerBinary, args, name: name)
        defer { w.killNow() }
        try #require(await w.waitFor("worker ready"), "our worker did not start:\n\(w.output)")
        let n = 30
        let out = try await Interop.client(["event-batches", "tasks.add", "[2, 3]", q, String(n), "30"], broker: broker, backend: backend)
        let events = out["events"] as? [String: [[String: Any]]] ?? [:]
        #expect(events.count == n, "\(out)\n\(w.output)")
        for (id, list) in events {
            #expect(list.map { $0["type"] as? String ?? "?" } == ["task-received", "task-started", "task-succeeded"], "\(id): \(list)")
            let clocks = list.compactMap { $0["clock"] as? Int }
            #expect(clocks.count == 3 && clocks == clocks.sorted(), "\(id): clocks \(clocks)")
            #expect(list.allSatisfy { $0["hostname"] as? String == name && $0["pid"] is Int && $0["timestamp"] is Double })
            #expect(list.first?["name"] as? String == "tasks.add" && list.first?["args"] as? String == "[2, 3]", "\(list)")
            #expect(list.last?["result"] as? String == "5" && list.last?["runtime"] is Double, "\(list)")
        }
        let messages = (out["messages"] as? [[Any]] ?? []).map { (key: $0[0] as? String ?? "", list: $0[1] as? Bool ?? false, count: $0[2] as? Int ?? 0) }
        let taskMessages = messages.filter { $0.key.hasPrefix("task.") }
        #expect(taskMessages.reduce(0) { $0 + $1.count } >= 3 * n, "\(messages)")
        if batch == nil {
            #expect(taskMessages.allSatisfy { $0.key == "task.multi" && $0.list && $0.count <= 24 }, "\(messages)")
            #expect(taskMessages.count < 3 * n, "events shared messages: \(taskMessages.count) for \(3 * n) events")
        } else {
            #expect(taskMessages.allSatisfy { $0.key != "task.multi" && !$0.list && $0.count == 1 }, "\(messages)")
        }
        #expect(messages.filter { $0.key.hasPrefix("worker.") }.allSatisfy { !$0.list }, "worker events stay single: \(messages)")
        #expect(await w.stop() == 0)
    }

    /// A Python Celery 5 prefork worker with `-E` sends its task events as `task.multi` lists;
    /// `celery-admin events --json` prints every one of them, in order.
    @Test(arguments: Interop.brokers)
    func ourEventsCommandSeesAPythonWorkersBatches(broker: String) async throws {
        guard Interop.available else { return }
        try #require(FileManager.default.isExecutableFile(atPath: admin), "build celery-admin first")
        let q = Interop.unique("pyev")
        let pyName = Interop.unique("pyev") + "@test"
        let app = try await Celery(name: "interop-events", broker: broker)
        defer { Task { try? await app.close() } }
        // What the Python worker puts on the wire, to know the test sees real batches.
        let raw = try await app.broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
        let events = try Child(admin, ["events", "--json", "--broker", broker, "--duration", "60"], name: "admin-events")
        defer { events.killNow() }
        // Probe until the command is subscribed: it prints our probe event when it hears it.
        let probe = EventDispatcher(broker: app.broker, hostname: "probe@test", logger: app.logger)
        var subscribed = false
        for _ in 0..<50 where !subscribed {
            await probe.send("worker-heartbeat", ["freq": 2])
            subscribed = await events.waitFor("probe@test", timeout: .milliseconds(200))
        }
        try #require(subscribed, "celery-admin events did not subscribe:\n\(events.output)")
        let py = try Child(
            Interop.celery, ["-A", "pytasks", "worker", "-Q", q, "-c", "2", "-E", "-n", pyName, "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": broker], cwd: Interop.interopDir, name: "pyworker-events")
        defer { py.killNow() }
        try #require(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")
        let n = 20
        var ids: [String] = []
        for i in 0..<n {
            ids.append(try await app.send(task: "tasks.add", args: [.int(Int64(i)), 1], options: CallOptions(route: .queue(q))).id)
        }
        var seen: [String: [String]] = [:]
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            seen = Self.taskEvents(in: events.output)
            if ids.allSatisfy({ seen[$0]?.contains("task-succeeded") == true }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        for id in ids { #expect(seen[id] == ["task-received", "task-started", "task-succeeded"], "\(id): \(seen[id] ?? [])\n\(py.output)") }
        var lists = 0
        while let d = try await raw.next(within: .milliseconds(300)) {
            if d.message.body.first == UInt8(ascii: "[") { lists += 1 }
        }
        #expect(lists > 0, "the Python worker sent its task events as task.multi lists")
        // SIGKILL: started from the test process, it does not finish a warm shutdown within
        // Child.stop's 20 s here; its pool children exit when their pipe to it closes.
        py.killNow()
        await events.stop()
        await raw.cancel()
    }

    /// Task event types by id from `celery-admin events --json` lines, in the order printed.
    static func taskEvents(in output: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("{") {
            guard case .object(let e)? = try? JSONCoding.parse(Array(line.utf8)), let id = e["uuid"]?.stringValue,
                let type = e["type"]?.stringValue, type.hasPrefix("task-")
            else { continue }
            out[id, default: []].append(type)
        }
        return out
    }
}
