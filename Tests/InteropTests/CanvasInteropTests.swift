import CeleryTestSupport
import Celery
import CeleryMongo
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Testing

/// Canvas with Python Celery 5 in both directions, on Redis broker + Redis results (native
/// chord join) and RabbitMQ broker + MongoDB results (`celery.chord_unlock`).
@Suite(.serialized) struct CanvasInteropTests {
    init() {
        RedisTransport.register()
        RabbitMQTransport.register()
        MongoBackend.register()
    }

    /// Redis + Redis and RabbitMQ + MongoDB, where configured.
    static var pairs: [Pair] {
        let e = Interop.env
        var out: [Pair] = []
        if let r = e["CELERY_TEST_REDIS_URL"], !r.isEmpty { out.append(Pair(broker: r, backend: r)) }
        if let a = e["CELERY_TEST_AMQP_URL"], let m = e["CELERY_TEST_MONGO_URL"], !a.isEmpty, !m.isEmpty { out.append(Pair(broker: a, backend: m)) }
        return out
    }

    /// Runs scripts/interop/canvas.py: Python builds each canvas, our worker runs it.
    static func pythonCanvas(_ pair: Pair, queue: String, cases: [String] = []) async throws -> [String: [String: Any]] {
        let e = ["CELERY_BROKER_URL": pair.broker, "CELERY_RESULT_BACKEND": pair.backend]
        let (status, out) = try await runCommand(
            Interop.python, [Interop.interopDir + "/canvas.py", queue] + cases, env: e, cwd: Interop.interopDir, timeout: .seconds(300))
        guard status == 0, let line = out.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Any]]
        else { throw InteropError("canvas.py failed (\(status)):\n\(out)") }
        return obj
    }

    @Test(arguments: pairs)
    func pythonCanvasRunsOnOurWorker(pair: Pair) async throws {
        guard Interop.available else { return }
        let q = Interop.unique("canvas-py2swift")
        let w = try Child(
            Interop.workerBinary,
            ["--broker", pair.broker, "--result-backend", pair.backend, "-c", "4", "-n", Interop.unique("canvas") + "@test", "-Q", q, "--default-queue", q, "-l", "info"],
            name: "canvas-worker")
        defer { w.killNow() }
        #expect(await w.waitFor("worker ready"), "our worker did not start:\n\(w.output)")
        let results = try await Self.pythonCanvas(pair, queue: q)
        #expect(results.count >= 25, "every case ran: \(results.keys.sorted())")
        for (name, r) in results.sorted(by: { $0.key < $1.key }) {
            #expect(r["ok"] as? Bool == true, "\(name): got \(r["value"] ?? "nil"), Python's value \(r["expected"] ?? "nil")")
        }
        if results.values.contains(where: { $0["ok"] as? Bool != true }) { print(w.output.suffix(20_000)) }
        await w.stop()
    }

    /// Our client and our worker on MongoDB results: the chord joins through the counter on its
    /// `celery_groupmeta` document — no `celery.chord_unlock` is sent.
    @Test func ourChordOnMongoJoinsWithoutPolling() async throws {
        guard Interop.available, let amqp = Interop.env["CELERY_TEST_AMQP_URL"], let mongo = Interop.env["CELERY_TEST_MONGO_URL"],
            !amqp.isEmpty, !mongo.isEmpty
        else { return }
        let q = Interop.unique("canvas-mongo-counter")
        let w = try Child(
            Interop.workerBinary,
            ["--broker", amqp, "--result-backend", mongo, "-c", "4", "-n", Interop.unique("counter") + "@test", "-Q", q, "--default-queue", q, "-l", "info"],
            name: "canvas-counter-worker")
        defer { w.killNow() }
        #expect(await w.waitFor("worker ready"), "our worker did not start:\n\(w.output)")
        let broker = try await TransportRegistry.broker(url: amqp, logger: .init(label: "counter-client"))
        let app = Celery(
            name: "counter-client", broker: broker, backend: try MongoResultBackend(url: mongo),
            configuration: CeleryConfiguration(defaultRoute: .queue(q)))
        let add = TaskHandle<Int, Int, Int>(name: "tasks.add", app: app)
        let xsum = TaskHandle<[Int], Int>(name: "tasks.xsum", app: app)
        let r = try await app.apply(Signature.chord(try (0..<20).map { try add.s($0, $0) }, xsum.partial()))
        #expect(try await r.get(as: Int.self, timeout: .seconds(30)) == 380, "\(w.output.suffix(5000))")
        let fail = Signature(task: "tasks.fail", args: ["boom"], immutable: true)
        let f = try await app.apply(Signature.chord([try add.s(1, 1), fail], xsum.partial()))
        do {
            _ = try await app.result(id: f.id).get(timeout: .seconds(30))
            Issue.record("expected ChordError")
        } catch let e as TaskError {
            #expect(e.type == "ChordError" && e.message.hasPrefix("Dependency "), "\(e)")
        }
        #expect(!w.output.contains("celery.chord_unlock"), "no chord_unlock task ran")
        try await app.close()
        await w.stop()
    }
}
