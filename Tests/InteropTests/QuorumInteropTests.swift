import CeleryTestSupport
import Celery
import CeleryMongo
import CeleryRabbitMQ
import Foundation
import Synchronization
import Testing

/// Python Celery 5.5+ and swift-celery on RabbitMQ quorum queues with native delayed delivery
/// (countdown tasks both ways), on the single test node and on the three-node cluster with
/// the same `;` failover list. The quorum options ride on our first URL's query; Python Celery
/// gets the plain list (kombu refuses unknown URL options) and its own configuration
/// (`scripts/interop/quorum_app.py`: `task_default_queue_type = "quorum"`, topic exchange).
@Suite(.serialized) struct QuorumInteropTests {
    init() {
        RabbitMQTransport.register()
        MongoBackend.register()
    }

    static let options = "?queue_type=quorum&exchange_type=topic"

    /// The plain broker URL (list) of a target: `single` (CELERY_TEST_AMQP_URL) or `cluster`.
    static func plain(_ target: String) -> String? {
        let v = Interop.env[target == "cluster" ? "CELERY_TEST_AMQP_CLUSTER_URLS" : "CELERY_TEST_AMQP_URL"]
        if v == nil || v!.isEmpty, Interop.env["CI"] != nil { Issue.record("\(target) RabbitMQ is not configured in CI") }
        return v.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Our form of the same list: the options on the first entry.
    static func ours(_ plain: String) -> String {
        var nodes = plain.split(separator: ";").map(String.init)
        nodes[0] += options
        return nodes.joined(separator: ";")
    }

    static var mongo: String? { Interop.env["CELERY_TEST_MONGO_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The most messages seen waiting in `celery_delayed_1` and `celery_delayed_0` (where a
    /// 2 s countdown waits: in level 1, or in level 0 when less than 2 s were left at the
    /// publish) while `running` is true, polled every 50 ms.
    /// `url` may be the whole failover list (a node killed by another test is skipped).
    static func watchLevel1(_ url: String, while running: @escaping @Sendable () -> Bool) -> Task<Int, Never> {
        Task {
            guard let b = try? RabbitMQBroker(url: url) else { return -1 }
            var most = 0
            while running() {
                let l1 = (try? await b.queueLength("celery_delayed_1")) ?? 0
                let l0 = (try? await b.queueLength("celery_delayed_0")) ?? 0
                most = max(most, l1 + l0)
                try? await Task.sleep(for: .milliseconds(50))
            }
            try? await b.close()
            return most
        }
    }

    @Test(arguments: ["single", "cluster"])
    func pythonCountdownOnAQuorumQueueRunsOnOurWorker(target: String) async throws {
        guard Interop.available, let plain = Self.plain(target), let mongo = Self.mongo else { return }
        let q = Interop.unique("quorum-py2swift")
        let w = try Child(
            Interop.workerBinary, ["--broker", Self.ours(plain), "--result-backend", mongo, "-c", "2", "-n", Interop.unique("swift") + "@test", "-Q", q, "-l", "info"],
            name: "quorum-swift")
        defer { w.killNow() }
        #expect(await w.waitFor("worker ready"), "our worker did not start:\n\(w.output)")
        let client = try Child(
            Interop.python, [Interop.interopDir + "/quorum_app.py", "call", "tasks.add", "[2, 3]", "2"],
            env: ["CELERY_BROKER_URL": plain, "CELERY_RESULT_BACKEND": mongo, "QUORUM_QUEUE": q], cwd: Interop.interopDir, name: "quorum-pyclient")
        defer { client.killNow() }
        let watch = Self.watchLevel1(plain) { client.process.isRunning }
        while client.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        let waited = await watch.value
        let line = try #require(client.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }), "\(client.output)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(out["state"] as? String == "SUCCESS", "\(out)\n\(w.output)")
        #expect(out["result"] as? Int == 5)
        #expect((out["elapsed"] as? Double ?? 0) >= 1.9, "ran before its countdown: \(out)")
        #expect(waited >= 1, "the task never waited in the delay levels (Python did not use native delayed delivery?)")
        #expect(await w.stop() == 0)
    }

    @Test(arguments: ["single", "cluster"])
    func ourCountdownOnAQuorumQueueRunsOnAPythonWorker(target: String) async throws {
        guard Interop.available, let plain = Self.plain(target), let mongo = Self.mongo else { return }
        let q = Interop.unique("quorum-swift2py")
        let py = try Child(
            Interop.celery, ["-A", "quorum_app", "worker", "-Q", q, "--pool", "solo", "-n", Interop.unique("py") + "@%h", "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": plain, "CELERY_RESULT_BACKEND": mongo, "QUORUM_QUEUE": q], cwd: Interop.interopDir, name: "quorum-pyworker")
        defer { py.killNow() }
        #expect(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")
        let app = try await Celery(name: "quorum-interop", broker: Self.ours(plain), backend: mongo)
        // The first publish on a connection declares the 28 delay levels (about 1 s, more on a
        // loaded machine), which a 2 s countdown would then mostly spend before its publish.
        #expect(try await app.send(task: "tasks.add", args: [1, 1], options: CallOptions(route: .queue(q))).get(timeout: .seconds(30)) == 2)
        let sent = ContinuousClock.now
        let r = try await app.send(task: "tasks.add", args: [2, 3], options: CallOptions(countdown: .seconds(2), route: .queue(q)))
        let done = Mutex(false)
        let watch = Self.watchLevel1(plain) { !done.withLock { $0 } }
        let value = try await r.get(timeout: .seconds(30))
        done.withLock { $0 = true }
        #expect(value == 5, "\(py.output)")
        #expect(ContinuousClock.now - sent >= .milliseconds(1900))
        #expect(await watch.value >= 1, "our countdown task never waited in the delay levels")
        try await app.close()
    }
}
