import CeleryTestSupport
import Celery
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Testing

/// Our remote-control client against a Python Celery worker (the other direction,
/// `celery inspect ping` against our worker, is in ``CeleryInteropTests``). A Python worker sends
/// its reply to the exchange `reply.celery.pidbox` with the caller's oid as routing key, so our
/// reply queue must be bound there (on Redis: a member of `_kombu.binding.reply.celery.pidbox`).
@Suite(.serialized) struct ControlInteropTests {
    init() {
        RedisTransport.register()
        RabbitMQTransport.register()
    }

    @Test(arguments: Interop.brokers)
    func ourPingReachesAPythonWorker(broker: String) async throws {
        guard Interop.available else { return }
        let name = Interop.unique("py-pidbox") + "@test"
        let py = try Child(
            Interop.celery, ["-A", "pytasks", "worker", "-Q", Interop.unique("pidbox"), "--pool", "solo", "-n", name, "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": broker], cwd: Interop.interopDir, name: "pidbox-pyworker")
        defer { py.killNow() }
        let started = ContinuousClock.now
        #expect(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")
        let ready = ContinuousClock.now
        let app = try await Celery(name: "interop", broker: broker)
        // The worker may take a moment to subscribe to its mailbox after saying it is ready.
        var replies: [String: JSONValue] = [:]
        var calls = 0
        while replies[name] == nil, calls < 10 {
            calls += 1
            replies = try await app.controlClient.call("ping", destination: [name], timeout: .seconds(2), limit: 1)
        }
        print("CONTROL python worker ready after \(ready - started); answered after \(ContinuousClock.now - ready) (\(calls) calls)")
        #expect(replies[name] == ["ok": "pong"], "\(replies)\n\(py.output)")
        try await app.close()
    }
}
