import Celery
import CeleryRabbitMQ
import CeleryRedis
import CeleryTestSupport
import Foundation
import Testing

/// A Python Celery 5 prefork worker with `-E` sends its task events batched (`task.multi`, a
/// JSON list); the dashboard's live state gets every task from them.
@Suite(.serialized) struct PythonWorkerEventsTests {
    init() {
        RedisTransport.register()
        RabbitMQTransport.register()
    }

    static var brokers: [String] {
        [LiveServers.redisVariable, LiveServers.amqpVariable].compactMap { Servers.env[$0] }.filter { !$0.isEmpty }
    }

    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    @Test(arguments: brokers)
    func batchedEventsOfAPythonWorkerReachTheLiveState(broker: String) async throws {
        let venv = try #require(Servers.env["CELERY_VENV"], "CELERY_VENV must point at the venv with celery (scripts/lib/deps.sh)")
        let d = try await LiveDashboard(broker: broker, backend: nil)
        let app = try await Celery(name: "dash-events", broker: broker)
        // The dashboard is subscribed once it has heard a probe event.
        let probe = EventDispatcher(broker: app.broker, hostname: "probe@test", logger: app.logger)
        var subscribed = false
        for _ in 0..<50 where !subscribed {
            await probe.send("worker-heartbeat", ["freq": 2, "active": 0, "processed": 0])
            try await Task.sleep(for: .milliseconds(100))
            subscribed = d.server.dashboard.cluster.workers.contains { $0.hostname == "probe@test" }
        }
        try #require(subscribed, "the dashboard did not hear the probe")
        let q = Servers.unique("dash-pyev")
        let name = Servers.unique("pyev") + "@test"
        let py = try CeleryTestSupport.Child(
            venv + "/bin/celery", ["-A", "pytasks", "worker", "-Q", q, "-c", "2", "-E", "-n", name, "-l", "info", "--without-gossip", "--without-mingle"],
            env: ["CELERY_BROKER_URL": broker], cwd: Self.repositoryRoot + "/scripts/interop", name: "dash-pyworker")
        defer { py.killNow() }
        try #require(await py.waitFor(" ready."), "python worker did not start:\n\(py.output)")
        var ids: [String] = []
        for i in 0..<12 { ids.append(try await app.send(task: "tasks.add", args: [.int(Int64(i)), 1], options: CallOptions(route: .queue(q))).id) }
        let cluster = d.server.dashboard.cluster
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !ids.allSatisfy({ cluster.task($0)?.state == "SUCCESS" }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        for (i, id) in ids.enumerated() {
            let t = cluster.task(id)
            #expect(t?.state == "SUCCESS" && t?.worker == name && t?.name == "tasks.add" && t?.result == "\(i + 1)", "\(String(describing: t))\n\(py.output)")
            #expect(t?.received != nil && t?.started != nil, "\(String(describing: t))")
        }
        // The same through the Flower-compatible API.
        let info = try await d.get("/api/task/info/\(ids[0])").json().objectValue
        #expect(info?["state"] == "SUCCESS" && info?["worker"]?.stringValue == name, "\(String(describing: info))")
        // SIGKILL: started from the test process, it does not finish a warm shutdown within
        // Child.stop's 20 s here; its pool children exit when their pipe to it closes.
        py.killNow()
        await d.stop()
        try? await app.close()
    }
}
