import CeleryTestSupport
import Celery
import CeleryMongo
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Testing

/// Python Celery 5 and swift-celery in both directions, on every broker × backend pair the
/// test script started (Redis and RabbitMQ brokers; Redis and MongoDB result backends).
@Suite(.serialized) struct CeleryInteropTests {
    init() {
        RedisTransport.register()
        RabbitMQTransport.register()
        MongoBackend.register()
    }

    @Test func everythingNeededIsPresentInCI() {
        guard Interop.env["CI"] != nil else { return }
        #expect(FileManager.default.isExecutableFile(atPath: Interop.python), "python venv at \(Interop.venv)")
        #expect(FileManager.default.isExecutableFile(atPath: Interop.workerBinary), "built celery-worker at \(Interop.workerBinary)")
        #expect(Interop.pairs.count == 4, "redis and amqp brokers × redis and mongodb backends")
    }

    /// Starts our `celery-worker` on a private queue and/or broadcast channel.
    func swiftWorker(_ pair: Pair, queue: String, broadcast: String? = nil, name: String) async throws -> Child {
        var args = ["--broker", pair.broker, "--result-backend", pair.backend, "-c", "2", "-n", name, "-Q", queue, "-l", "info"]
        if let broadcast { args += ["--broadcast", broadcast] }
        let w = try Child(Interop.workerBinary, args, name: name)
        guard await w.waitFor("worker ready") else {
            await w.stop()
            throw InteropError("our worker did not start:\n\(w.output)")
        }
        return w
    }

    @Test(arguments: Interop.pairs)
    func pythonClientRunsTasksOnOurWorker(pair: Pair) async throws {
        guard Interop.available else { return }
        let q = Interop.unique("interop-py2swift")
        let w = try await swiftWorker(pair, queue: q, name: Interop.unique("swift") + "@test")
        defer { w.killNow() }
        let ok = try await Interop.client(["call", "tasks.add", "[2, 4]", q], broker: pair.broker, backend: pair.backend)
        #expect(ok["state"] as? String == "SUCCESS", "\(ok)\n\(w.output)")
        #expect(ok["result"] as? Int == 6)
        let echo = try await Interop.client(["call", "tasks.echo", "[{\"k\": [1, 2.5, \"ü\", null]}]", q], broker: pair.broker, backend: pair.backend)
        #expect((echo["result"] as? [String: Any])?["k"] as? [Any] != nil, "\(echo)")
        let fail = try await Interop.client(["call", "tasks.fail", "[\"boom\"]", q], broker: pair.broker, backend: pair.backend)
        #expect(fail["state"] as? String == "FAILURE")
        #expect(fail["exc_type"] as? String == "RuntimeError")
        #expect(fail["exc_message"] as? String == "boom")
        #expect(await w.stop() == 0, "warm shutdown exits 0")
    }

    @Test(arguments: Interop.pairs)
    func ourClientRunsTasksOnAPythonWorker(pair: Pair) async throws {
        guard Interop.available else { return }
        let q = Interop.unique("interop-swift2py")
        let py = try Child(
            Interop.celery, ["-A", "pytasks", "worker", "-Q", q, "--pool", "solo", "-n", Interop.unique("py") + "@%h", "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": pair.broker, "CELERY_RESULT_BACKEND": pair.backend], cwd: Interop.interopDir, name: "pyworker")
        defer { py.killNow() }
        #expect(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")
        let app = try await Celery(name: "interop", broker: pair.broker, backend: pair.backend)
        let add = TaskHandle<Int, Int, Int>(name: "tasks.add", app: app)
        let r = try await add.apply(2, 4, options: CallOptions(route: .queue(q)))
        #expect(try await r.get(timeout: .seconds(30)) == 6, "\(py.output)")
        let meta = try #require(try await r.meta())
        #expect(meta.status == .success)
        let echo = try await app.send(task: "tasks.echo", args: [["k": [1, 2.5, "ü", nil]]], options: CallOptions(route: .queue(q)))
        #expect(try await echo.get(timeout: .seconds(30)) == ["k": [1, 2.5, "ü", nil]])
        let fail = try await app.send(task: "tasks.fail", args: ["boom"], options: CallOptions(route: .queue(q)))
        do {
            _ = try await fail.get(timeout: .seconds(30))
            Issue.record("expected a failure")
        } catch let e as TaskError {
            #expect(e.type == "RuntimeError")
            #expect(e.message == "boom")
            #expect(e.traceback?.contains("RuntimeError") == true)
        }
        try await app.close()
    }

    @Test(arguments: Interop.brokers)
    func pythonBroadcastReachesEverySubscribedWorker(broker: String) async throws {
        guard Interop.available, let backend = Interop.backends.first else { return }
        let pair = Pair(broker: broker, backend: backend)
        let channel = Interop.unique("interop-bcast")
        var workers: [Child] = []
        for i in 0..<2 {
            workers.append(try await swiftWorker(pair, queue: Interop.unique("unused"), broadcast: channel, name: "bcast\(i)-\(channel)@test"))
        }
        try await Task.sleep(for: .milliseconds(300))
        let sent = try await Interop.client(["broadcast", "tasks.echo", "[\"hello everyone\"]", channel], broker: broker, backend: backend)
        let id = try #require(sent["id"] as? String)
        for w in workers {
            let ran = await w.waitFor("task_id=\(id)", timeout: .seconds(20))
            #expect(ran, "each subscribed worker runs the broadcast task:\n\(w.output)")
            await w.stop()
            let runs = w.output.components(separatedBy: "task succeeded").count - 1
            #expect(runs == 1, "exactly once per worker")
        }
    }

    /// The demo's crash scenario with a real consumer process killed by SIGKILL.
    @Test(arguments: Interop.brokers)
    func demoCrashWithARealProcessKill(broker: String) async throws {
        guard Interop.available else { return }
        let demo = Interop.root + "/.build/debug/celery-demo"
        let (status, out) = try await runCommand(demo, ["crash", "--broker", broker, "--messages", "40", "--json"], timeout: .seconds(120))
        #expect(status == 0, "\(out)")
        guard let start = out.firstIndex(of: "{"),
            let doc = try JSONSerialization.jsonObject(with: Data(out[start...].utf8)) as? [String: Any],
            let rows = doc["scenarios"] as? [[String: Any]]
        else {
            Issue.record("no JSON report:\n\(out)")
            return
        }
        let queue = try #require(rows.first { $0["mode"] as? String == "queue" })
        let bcast = try #require(rows.first { $0["mode"] as? String == "broadcast" })
        #expect(queue["lost"] as? Int == 0, "queue mode loses nothing when a consumer is killed: \(queue)")
        #expect((queue["redelivered"] as? Int ?? 0) > 0, "the killed consumer's messages were redelivered: \(queue)")
        #expect((bcast["lost"] as? Int ?? 0) > 0, "broadcast loses the killed subscriber's copies: \(bcast)")
        #expect((queue["note"] as? String)?.contains("SIGKILL") == true)
    }

    /// Celery's own event receiver (what `celery events` and Flower use) reads our worker's
    /// task events: on RabbitMQ this needs `celeryev` declared as the topic exchange Celery
    /// declares, with events routed by their `task.*` keys.
    @Test(arguments: Interop.brokers)
    func pythonEventReceiverSeesOurWorkersEvents(broker: String) async throws {
        guard Interop.available, let backend = Interop.backends.first else { return }
        let name = Interop.unique("evented") + "@test"
        let q = Interop.unique("events")
        let w = try await swiftWorker(Pair(broker: broker, backend: backend), queue: q, name: name)
        defer { w.killNow() }
        let out = try await Interop.client(["events", "tasks.add", "[20, 22]", q, "20"], broker: broker, backend: backend)
        let types = out["events"] as? [String] ?? []
        #expect(types.contains("task-received") && types.contains("task-started") && types.contains("task-succeeded"), "\(out)\n\(w.output)")
        #expect((out["hostnames"] as? [String] ?? []).contains(name), "\(out)")
    }

    @Test(arguments: Interop.brokers)
    func pythonInspectPingAnswersOurWorker(broker: String) async throws {
        guard Interop.available, let backend = Interop.backends.first else { return }
        let name = Interop.unique("pingme") + "@test"
        let w = try await swiftWorker(Pair(broker: broker, backend: backend), queue: Interop.unique("ping"), name: name)
        defer { w.killNow() }
        let out = try await Interop.client(["ping", "3"], broker: broker, backend: backend)
        let replies = out["replies"] as? [String: Any] ?? [:]
        #expect((replies[name] as? [String: Any])?["ok"] as? String == "pong", "\(out)\n\(w.output)")
    }
}
