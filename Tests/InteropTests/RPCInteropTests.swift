import CeleryTestSupport
import Celery
import CeleryRabbitMQ
import Foundation
import Testing

/// `rpc://` results with Python Celery on RabbitMQ, both ways: each result is a message to the
/// caller's own `reply_to` queue.
@Suite(.serialized) struct RPCInteropTests {
    init() { RabbitMQTransport.register() }

    static var amqp: String? { Interop.env["CELERY_TEST_AMQP_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// `rpc://user:pass@host:port/` for the test server.
    static func rpcURL(_ amqp: String) -> String { "rpc://" + amqp.dropFirst("amqp://".count) }

    @Test func pythonClientReadsOurWorkersResultsOverRPC() async throws {
        guard Interop.available, let amqp = Self.amqp else { return }
        let q = Interop.unique("rpc-py2swift")
        let w = try Child(
            Interop.workerBinary, ["--broker", amqp, "--result-backend", Self.rpcURL(amqp), "-c", "2", "-n", Interop.unique("rpc") + "@test", "-Q", q],
            name: "rpc-worker")
        defer { w.killNow() }
        #expect(await w.waitFor("worker ready"), "\(w.output)")
        let ok = try await Interop.client(["call", "tasks.add", "[2, 4]", q], broker: amqp, backend: "rpc://")
        #expect(ok["state"] as? String == "SUCCESS", "\(ok)\n\(w.output)")
        #expect(ok["result"] as? Int == 6)
        let fail = try await Interop.client(["call", "tasks.fail", "[\"boom\"]", q], broker: amqp, backend: "rpc://")
        #expect(fail["exc_type"] as? String == "RuntimeError", "\(fail)")
        await w.stop()
    }

    @Test func ourClientReadsAPythonWorkersResultsOverRPC() async throws {
        guard Interop.available, let amqp = Self.amqp else { return }
        let q = Interop.unique("rpc-swift2py")
        let py = try Child(
            Interop.celery, ["-A", "pytasks", "worker", "-Q", q, "--pool", "solo", "-n", Interop.unique("py") + "@%h", "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": amqp, "CELERY_RESULT_BACKEND": "rpc://"], cwd: Interop.interopDir, name: "rpc-pyworker")
        defer { py.killNow() }
        #expect(await py.waitFor(" ready."), "\(py.output)")
        let app = try await Celery(name: "rpc-client", broker: amqp, backend: Self.rpcURL(amqp))
        let add = TaskHandle<Int, Int, Int>(name: "tasks.add", app: app)
        let r = try await add.apply(20, 22, options: CallOptions(route: .queue(q)))
        #expect(try await r.get(timeout: .seconds(30)) == 42, "\(py.output)")
        let other = try await Celery(name: "rpc-other", broker: amqp, backend: Self.rpcURL(amqp))
        #expect(try await other.result(id: r.id).meta() == nil, "rpc results are for the caller alone")
        try await other.close()
        try await app.close()
    }
}
