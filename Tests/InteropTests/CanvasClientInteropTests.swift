import CeleryTestSupport
import Celery
import CeleryMongo
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Testing

/// Our client builds the canvases of scripts/interop/canvas.py with the Swift API; a Python
/// Celery worker runs them; each value must be the one Python gives for the same canvas.
@Suite(.serialized) struct CanvasClientInteropTests {
    init() {
        RedisTransport.register()
        RabbitMQTransport.register()
        MongoBackend.register()
    }

    static func expected() async throws -> [String: Any] {
        let (status, out) = try await runCommand(
            Interop.python, [Interop.interopDir + "/canvas.py", "--expected"], env: ["CELERY_BROKER_URL": "memory://"],
            cwd: Interop.interopDir, timeout: .seconds(120))
        guard status == 0, let line = out.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw InteropError("canvas.py --expected failed (\(status)):\n\(out)") }
        return obj
    }

    /// The client app; on MongoDB chords use `celery.chord_unlock`, which a Python worker runs.
    static func app(_ pair: Pair, queue: String) async throws -> Celery {
        let broker = try await TransportRegistry.broker(url: pair.broker, logger: .init(label: "canvas-client"))
        let backend: any ResultBackend
        if pair.backend.hasPrefix("mongodb") {
            var o = MongoBackendOptions()
            o.chordJoin = .unlock
            backend = try MongoResultBackend(url: pair.backend, options: o)
        } else {
            backend = try await TransportRegistry.backend(url: pair.backend, logger: .init(label: "canvas-client"))
        }
        return Celery(name: "canvas-client", broker: broker, backend: backend, configuration: CeleryConfiguration(defaultRoute: .queue(queue)))
    }

    @Test(arguments: CanvasInteropTests.pairs)
    func ourCanvasRunsOnAPythonWorker(pair: Pair) async throws {
        guard Interop.available else { return }
        let want = try await Self.expected()
        let q = Interop.unique("canvas-swift2py")
        let py = try Child(
            Interop.celery,
            ["-A", "pytasks", "worker", "-Q", q, "--pool", "threads", "-c", "4", "-n", Interop.unique("py") + "@%h", "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": pair.broker, "CELERY_RESULT_BACKEND": pair.backend, "INTEROP_DEFAULT_QUEUE": q], cwd: Interop.interopDir, name: "canvas-pyworker")
        defer { py.killNow() }
        #expect(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")
        let app = try await Self.app(pair, queue: q)
        let cases = try SwiftCanvasCases(app: app, queue: q)
        var failed = false
        for (name, run) in cases.all {
            let got = await SwiftCanvasCases.outcome(run)
            let expected = try #require(want[name], "canvas.py has case \(name)")
            let same = SwiftCanvasCases.equal(got, expected)
            #expect(same, "\(name): got \(got), Python's value \(expected)")
            failed = failed || !same
        }
        if failed { print(py.output.suffix(20_000)) }
        try await app.close()
    }
}
