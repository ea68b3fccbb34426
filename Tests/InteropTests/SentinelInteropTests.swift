import CeleryTestSupport
import Celery
import CeleryRedis
import Foundation
import Testing

/// Python Celery 5 and swift-celery through Redis Sentinel, both ways: Python with
/// `sentinel://…;sentinel://…` and `broker_transport_options={'master_name': …}` (and the
/// same for the result backend), we with the same list and `?master_name=…`.
@Suite(.serialized) struct SentinelInteropTests {
    init() { RedisTransport.register() }

    /// Our URL list (`…?master_name=m`), from scripts/services/redis-sentinel.sh.
    static var ours: String? { Interop.env["CELERY_TEST_SENTINEL_URLS"].flatMap { $0.isEmpty ? nil : $0 } }
    static var masterName: String { Interop.env["REDIS_SENTINEL_MASTER_NAME"] ?? "mymaster" }
    /// The same list as Python Celery takes it: no query (the name is a transport option).
    static var python: String? {
        ours.map { $0.split(separator: ";").map { String($0.prefix { $0 != "?" }) }.joined(separator: ";") }
    }
    static var pythonEnv: [String: String] { ["INTEROP_SENTINEL_MASTER": masterName] }

    @Test func sentinelIsPresentInCI() {
        guard Interop.env["CI"] != nil else { return }
        #expect(Self.ours != nil, "CELERY_TEST_SENTINEL_URLS (scripts/services/redis-sentinel.sh)")
    }

    @Test func pythonClientThroughSentinelRunsTasksOnOurWorker() async throws {
        guard Interop.available, let ours = Self.ours, let py = Self.python else { return }
        let q = Interop.unique("sentinel-py2swift")
        let name = Interop.unique("swift-sentinel") + "@test"
        let w = try Child(Interop.workerBinary, ["--broker", ours, "--result-backend", ours, "-c", "2", "-n", name, "-Q", q, "-l", "info"], name: name)
        defer { w.killNow() }
        guard await w.waitFor("worker ready") else {
            Issue.record("our worker did not start:\n\(w.output)")
            return
        }
        let ok = try await Interop.client(["call", "tasks.add", "[2, 4]", q], broker: py, backend: py, env: Self.pythonEnv)
        #expect(ok["state"] as? String == "SUCCESS", "\(ok)\n\(w.output)")
        #expect(ok["result"] as? Int == 6)
        let fail = try await Interop.client(["call", "tasks.fail", "[\"boom\"]", q], broker: py, backend: py, env: Self.pythonEnv)
        #expect(fail["state"] as? String == "FAILURE")
        #expect(fail["exc_message"] as? String == "boom")
        #expect(await w.stop() == 0)
    }

    @Test func ourClientThroughSentinelRunsTasksOnAPythonWorker() async throws {
        guard Interop.available, let ours = Self.ours, let py = Self.python else { return }
        let q = Interop.unique("sentinel-swift2py")
        var env = Self.pythonEnv
        env["CELERY_BROKER_URL"] = py
        env["CELERY_RESULT_BACKEND"] = py
        let worker = try Child(
            Interop.celery, ["-A", "pytasks", "worker", "-Q", q, "--pool", "solo", "-n", Interop.unique("py-sentinel") + "@%h", "-l", "info", "--without-gossip", "--without-mingle"],
            env: env, cwd: Interop.interopDir, name: "pyworker-sentinel")
        defer { worker.killNow() }
        #expect(await worker.waitFor(" ready."), "python worker did not start:\n\(worker.output)")
        let app = try await Celery(name: "sentinel-interop", broker: ours, backend: ours)
        let add = TaskHandle<Int, Int, Int>(name: "tasks.add", app: app)
        let r = try await add.apply(20, 22, options: CallOptions(route: .queue(q)))
        #expect(try await r.get(timeout: .seconds(30)) == 42, "\(worker.output)")
        let echo = try await app.send(task: "tasks.echo", args: [["via": "sentinel"]], options: CallOptions(route: .queue(q)))
        #expect(try await echo.get(timeout: .seconds(30)) == ["via": "sentinel"])
        try await app.close()
    }
}
