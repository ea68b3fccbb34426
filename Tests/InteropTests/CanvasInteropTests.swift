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
}
