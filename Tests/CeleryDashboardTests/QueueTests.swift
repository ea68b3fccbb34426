import Celery
import CeleryDashboard
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Testing
import CeleryTestSupport

/// Queue depth, priorities, latency, browsing, dead letters and purge, on real Redis and RabbitMQ.
@Suite(.serialized) struct QueueTests {
    func queue(_ d: LiveDashboard, _ name: String) async throws -> JSONValue? {
        try await d.get("/api/queues").json()["queues"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    @Test func redisDepthPrioritiesAndLatencyAfterAPrefill() async throws {
        let redis = try Servers.redis()
        let waiting = Servers.unique("dash-prefill"), late = Servers.unique("dash-late")
        RedisTransport.register()
        let app = try await Celery(name: "prefill", broker: redis)
        defer { Task { try? await app.close() } }
        for i in 0..<5 { try await app.send(task: "tasks.add", args: [.int(Int64(i)), 1], options: CallOptions(route: .queue(waiting))) }
        for i in 0..<3 { try await app.send(task: "tasks.mul", args: [.int(Int64(i)), 2], options: CallOptions(route: .queue(waiting), priority: 6)) }
        try await app.send(task: "tasks.echo", args: ["late"], options: CallOptions(eta: Date().addingTimeInterval(-30), route: .queue(late)))

        let d = try await LiveDashboard(broker: redis, backend: nil)
        defer { Task { await d.stop() } }
        // Listed although no worker consumes them (kombu bindings name them).
        let q = try #require(try await queue(d, waiting))
        #expect(q["messages"]?.intValue == 8)
        #expect(q["by_priority"]?["0-2"]?.intValue == 5)
        #expect(q["by_priority"]?["6-8"]?.intValue == 3)
        #expect(q["consumed_by"]?.arrayValue?.isEmpty == true)
        #expect(q["unacked"]?.intValue == 0)
        let firstAge = try #require(q["oldest_age_seconds"]?.doubleValue)
        #expect(firstAge < 1)
        // Latency grows while the oldest message keeps waiting.
        try await Task.sleep(for: .milliseconds(1500))
        let again = try #require(try await queue(d, waiting)?["oldest_age_seconds"]?.doubleValue)
        #expect(again >= 1.4 && again < 30)
        // A message due 30 s ago has waited 30 s.
        let lateAge = try #require(try await queue(d, late)?["oldest_age_seconds"]?.doubleValue)
        #expect(lateAge >= 29.5 && lateAge < 60)

        let lengths = try await d.get("/api/queues/length").json()["active_queues"]?.arrayValue ?? []
        #expect(lengths.contains { $0["name"]?.stringValue == waiting && $0["messages"]?.intValue == 8 })
        let metrics = try await d.get("/metrics").text
        #expect(metrics.contains("celery_queue_messages{queue=\"\(waiting)\"} 8"))
        #expect(metrics.contains("celery_queue_latency_seconds{queue=\"\(late)\"} "))

        // Browse without taking: next to run first (priority band 0-2 first, oldest first).
        let msgs = try await d.get("/api/queue/\(waiting)/messages?limit=6").json().arrayValue ?? []
        #expect(msgs.count == 6)
        #expect(msgs.first?["task"]?.stringValue == "tasks.add")
        #expect(msgs.first?["args"]?.stringValue == "(0, 1)")
        #expect(msgs[5]["task"]?.stringValue == "tasks.mul")
        let rest = try await d.get("/api/queue/\(waiting)/messages?offset=6&limit=10").json().arrayValue ?? []
        #expect(rest.count == 2)
        #expect(try await queue(d, waiting)?["messages"]?.intValue == 8)  // nothing taken
        let page = try await d.get("/queue/\(waiting)")
        #expect(page.text.contains("tasks.mul"))

        #expect(try await d.request("POST", "/api/queue/\(waiting)/purge").json()["purged"]?.intValue == 8)
        #expect(try await queue(d, waiting)?["messages"]?.intValue == 0)
        _ = try await app.broker.purge(queue: late)
    }

    @Test func deadLettersCanBeListedRequeuedAndDeleted() async throws {
        let redis = try Servers.redis()
        let q = Servers.unique("dash-dl"), host = Servers.unique("dash-dlw") + "@test"
        let worker = try await startWorker(broker: redis, backend: nil, queues: [q], hostname: host)
        let d = try await LiveDashboard(broker: redis, backend: nil, queues: [q])
        defer { Task { await d.stop() } }
        // Unknown task names are dead-lettered by the worker.
        for _ in 0..<2 { try await worker.2.send(task: "tasks.nope", args: [1], options: CallOptions(route: .queue(q))) }
        #expect(try await eventually { try await queue(d, q)?["dead_letters"]?.intValue == 2 })
        await stopWorker(worker)
        let listed = try await d.get("/api/queue/\(q)/dead-letters").json().arrayValue ?? []
        #expect(listed.count == 2)
        #expect(listed.first?["task"]?.stringValue == "tasks.nope")
        #expect(listed.first?["reason"]?.stringValue?.isEmpty == false)
        let requeued = try await d.request("POST", "/api/queue/\(q)/dead-letters/requeue?index=0")
        #expect(try requeued.json()["requeued"]?.intValue == 1)
        #expect(try await queue(d, q)?["messages"]?.intValue == 1)
        #expect(try await queue(d, q)?["dead_letters"]?.intValue == 1)
        #expect(try await d.request("POST", "/api/queue/\(q)/dead-letters/delete").json()["deleted"]?.intValue == 1)
        #expect(try await queue(d, q)?["dead_letters"]?.intValue == 0)
        #expect(try await d.request("POST", "/api/queue/\(q)/dead-letters/requeue?index=0").status == 404)
        _ = try await d.request("POST", "/api/queue/\(q)/purge")
    }

    @Test func rabbitMQCountsTheAppsQueuesAndSaysWhatItCannotSee() async throws {
        let amqp = try Servers.amqp()
        let q = Servers.unique("dash-rmq")
        RabbitMQTransport.register()
        let app = try await Celery(name: "prefill", broker: amqp)
        defer { Task { try? await app.close() } }
        for i in 0..<3 { try await app.send(task: "tasks.add", args: [.int(Int64(i)), 1], options: CallOptions(route: .queue(q))) }
        let d = try await LiveDashboard(broker: amqp, backend: nil, queues: [q])
        defer { Task { await d.stop() } }
        let all = try await d.get("/api/queues").json()
        let info = try #require(all["queues"]?.arrayValue?.first { $0["name"]?.stringValue == q })
        #expect(info["messages"]?.intValue == 3)
        #expect(all["note"]?.stringValue?.contains("passive") == true)
        #expect(try await d.get("/api/queues/length").json()["active_queues"]?.arrayValue?.contains { $0["name"]?.stringValue == q && $0["messages"]?.intValue == 3 } == true)
        #expect(try await d.get("/api/queue/\(q)/messages").status == 501)
        #expect(try await d.request("POST", "/api/queue/\(q)/purge").json()["purged"]?.intValue == 3)
    }
}
