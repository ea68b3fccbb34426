import CeleryTestSupport
import Celery
import CeleryCommands
import CeleryRedis
import ExampleTasks
import Foundation
import Prometheus
import ServiceLifecycle
import Testing

/// Worker, beat and the metrics endpoint as swift-service-lifecycle services, against a real
/// Redis: SIGTERM (or the group's graceful shutdown) lets running tasks finish and returns
/// prefetched ones; the metrics endpoint serves what the worker did.
@Suite(.serialized) struct ServiceLifecycleTests {
    var redis: String? { Interop.env["CELERY_TEST_REDIS_URL"] }
    init() { RedisTransport.register() }

    /// `celery-worker --metrics-port`: scrape after three tasks, then a real SIGTERM while one
    /// task runs and three wait: it finishes (SUCCESS), the waiting ones go back, exit 0.
    @Test func workerProcessServesMetricsAndShutsDownWarmOnSIGTERM() async throws {
        guard Interop.available, let redis else { return }
        let q = Interop.unique("svc-proc")
        // Port 0: the system picks a free one; the log line names it.
        let w = try Child(
            Interop.workerBinary,
            ["--broker", redis, "--result-backend", redis, "-c", "1", "--prefetch-multiplier", "4", "-Q", q, "-n", q + "@test",
             "--without-events", "--metrics-port", "0"], name: "svc-worker")
        defer { w.killNow() }
        #expect(await w.waitFor("worker ready"), "\(w.output)")
        let announced = w.output.split(separator: "\n").first { $0.contains("metrics: serving Prometheus text on http://127.0.0.1:") }
        let port = try #require(announced.flatMap { Int($0.split(separator: ":").last?.split(separator: "/").first ?? "") }, "\(w.output)")

        let app = try await Celery(name: "svc", broker: redis, backend: redis)
        defer { Task { try? await app.close() } }
        for i in 1...3 {
            let r = try await app.send(task: "tasks.add", args: [.int(Int64(i)), 10], options: CallOptions(route: .queue(q)))
            #expect(try await r.get(timeout: .seconds(20)) == .int(Int64(i) + 10))
        }
        let url = "http://127.0.0.1:\(port)/metrics"
        // The counter moves after the result is stored, the ack timer after the ack: wait for both.
        var text = ""
        _ = try await Observe.eventually {
            text = try await Observe.http(url).1
            return Observe.sample(text, #"celery_tasks_total{task="tasks.add",state="SUCCESS"}"#) == 3
                && Observe.sample(text, #"celery_ack_latency_seconds_count{transport="redis"}"#) == 3
        }
        #expect(Observe.sample(text, #"celery_tasks_total{task="tasks.add",state="SUCCESS"}"#) == 3, "\(text)")
        #expect(Observe.sample(text, #"celery_task_runtime_seconds_count{task="tasks.add"}"#) == 3, "\(text)")
        #expect(Observe.sample(text, #"celery_task_start_latency_seconds_count{task="tasks.add"}"#) == 3, "\(text)")
        #expect(Observe.sample(text, #"celery_ack_latency_seconds_count{transport="redis"}"#) == 3, "\(text)")
        #expect(Observe.sample(text, "celery_worker_active_tasks") == 0, "\(text)")
        #expect(try await Observe.http("http://127.0.0.1:\(port)/other").0 == 404)
        #expect(try await Observe.http(url, method: "POST").0 == 405)

        // One running, three waiting (prefetch 4), then SIGTERM.
        var sleeps: [AsyncResult<JSONValue>] = []
        for _ in 0..<4 { sleeps.append(try await app.send(task: "tasks.sleep", args: [1.5], options: CallOptions(route: .queue(q)))) }
        #expect(try await Observe.eventually { try await sleeps[0].state() == .started }, "\(w.output)")
        let gauges = try await Observe.eventually {
            text = try await Observe.http(url).1
            return Observe.sample(text, "celery_worker_active_tasks") == 1 && Observe.sample(text, "celery_worker_prefetched_tasks") == 3
        }
        #expect(gauges, "one active, three prefetched: \(text)")
        kill(w.process.processIdentifier, SIGTERM)
        let status = await Observe.exitStatus(of: w, within: .seconds(20))
        #expect(status == 0, "\(w.output)")
        #expect(w.output.contains("warm shutdown (send again for cold)") && !w.output.contains("cold shutdown"), "\(w.output)")
        #expect(try await sleeps[0].state() == .success, "the running task finishes: \(w.output)")
        for r in sleeps.dropFirst() { #expect(try await r.state() == .pending, "a prefetched task did not run: \(w.output)") }
        let counts = try await Observe.redisCounts(redis, queue: q)
        // Nothing lost: the three come back to the queue (or, when the Redis consumer had a pop in
        // flight at the stop, stay in `unacked` for the visibility restore).
        #expect(counts.waiting + counts.unacked == 3, "\(counts)\n\(w.output)")
    }

    /// A second signal during the warm shutdown is cold: the running task is cancelled and its
    /// message returned.
    @Test func secondSignalIsColdShutdown() async throws {
        guard Interop.available, let redis else { return }
        let q = Interop.unique("svc-cold")
        let w = try Child(
            Interop.workerBinary, ["--broker", redis, "--result-backend", redis, "-c", "1", "-Q", q, "-n", q + "@test", "--without-events"],
            name: "svc-cold")
        defer { w.killNow() }
        #expect(await w.waitFor("worker ready"), "\(w.output)")
        let app = try await Celery(name: "svc", broker: redis, backend: redis)
        defer { Task { try? await app.close() } }
        let long = try await app.send(task: "tasks.sleep", args: [30], options: CallOptions(route: .queue(q)))
        #expect(try await Observe.eventually { try await long.state() == .started })
        kill(w.process.processIdentifier, SIGTERM)
        #expect(await w.waitFor("warm shutdown: no new messages", timeout: .seconds(10)), "\(w.output)")
        kill(w.process.processIdentifier, SIGINT)
        let started = ContinuousClock.now
        let status = await Observe.exitStatus(of: w, within: .seconds(20))
        #expect(status == 0, "\(w.output)")
        #expect(ContinuousClock.now - started < .seconds(15), "cold shutdown does not wait for the 30 s task")
        #expect(w.output.contains("signal 2 received: cold shutdown"), "\(w.output)")
        #expect(w.output.contains("task cancelled by cold shutdown; message returned to the queue"), "\(w.output)")
        #expect(try await long.state() != .success)
        let counts = try await Observe.redisCounts(redis, queue: q)
        #expect(counts.waiting + counts.unacked == 1, "the cancelled task's message is kept: \(counts)")
    }

    /// Worker, beat and the metrics server in one `ServiceGroup`, in this process: the group's
    /// graceful shutdown (what SIGTERM triggers) lets the running task finish, returns the
    /// prefetched ones, stops beat and closes the endpoint.
    @Test func groupOfWorkerBeatAndMetricsShutsDownGracefully() async throws {
        guard Interop.available, let redis else { return }
        let registry = PrometheusServer.bootstrapMetrics()
        let q = Interop.unique("svc-group")
        let app = try await Celery(name: "svc-group", broker: redis, backend: redis)
        defer { Task { try? await app.close() } }
        ExampleTasks.register(on: app)
        let worker = Worker(app: app, options: WorkerOptions(concurrency: 1, prefetchMultiplier: 4, queues: [q], hostname: q + "@test", sendEvents: false))
        let beat = try BeatScheduler(
            app: app, entries: [BeatEntry(name: "tick", task: "tasks.echo", args: ["tick"], schedule: .interval(.milliseconds(300)), route: .queue(q + "-beat"))])
        let server = try await PrometheusServer.bind(host: "127.0.0.1", port: 0, registry: registry, logger: app.logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server, beat, worker], logger: app.logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        await worker.waitUntilStarted()

        var sleeps: [AsyncResult<JSONValue>] = []
        for _ in 0..<4 { sleeps.append(try await app.send(task: "tasks.sleep", args: [1.5], options: CallOptions(route: .queue(q)))) }
        #expect(try await Observe.eventually { try await sleeps[0].state() == .started })
        #expect(await Observe.eventually { await beat.stats.sent >= 1 }, "beat sends while the group runs")
        let (code, text) = try await Observe.http("http://127.0.0.1:\(server.port)/metrics")
        #expect(code == 200 && Observe.sample(text, "celery_worker_active_tasks") == 1, "\(text)")

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(worker.phase == .stopped)
        #expect(try await sleeps[0].state() == .success)
        for r in sleeps.dropFirst() { #expect(try await r.state() == .pending) }
        let counts = try await Observe.redisCounts(redis, queue: q)
        #expect(counts.waiting + counts.unacked == 3, "\(counts)")
        let sentBefore = await beat.stats.sent
        try await Task.sleep(for: .milliseconds(700))
        #expect(await beat.stats.sent == sentBefore, "beat stopped with the group")
        await #expect(throws: (any Error).self) { _ = try await Observe.http("http://127.0.0.1:\(server.port)/metrics") }
        #expect(registry.emitToString().contains(#"celery_tasks_total{task="tasks.sleep",state="SUCCESS"}"#))
    }
}
