import CeleryTestSupport
import AMQP091
import Celery
import CeleryDashboard
import CeleryRabbitMQ
import Foundation
import Testing

/// Queues through RabbitMQ's management API on the test node (scripts/services/rabbitmq.sh
/// enables the plugin): every queue, depth, latency, browsing without taking, dead-letter
/// requeue and delete, purge, and the fallback to counts when the API does not answer.
@Suite(.serialized) struct RabbitMQManagementTests {
    /// Exact ready count by passive declare (the API's numbers lag by its statistics interval).
    static func ready(_ amqp: String, _ q: String) async throws -> Int {
        let c = try await AMQPConnection.connect(try AMQPConfiguration(url: amqp))
        defer { Task { try? await c.close() } }
        let ch = try await c.openChannel()
        return Int(try await ch.queueDeclare(.init(queue: q, passive: true)).messageCount)
    }

    static func queue(_ d: LiveDashboard, _ q: String) async throws -> JSONValue? {
        try await d.get("/api/queues").json()["queues"]?.arrayValue?.first { $0["name"]?.stringValue == q }
    }

    @Test func listsEveryQueueWithDepthAndLatencyAndBrowsesWithoutTaking() async throws {
        let amqp = try Servers.amqp(), mgmt = try Servers.amqpManagement()
        let q = Servers.unique("dash-mgmt"), idle = Servers.unique("dash-unconsumed")
        RabbitMQTransport.register()
        let app = try await Celery(name: "prefill", broker: amqp)
        defer { Task { try? await app.close() } }
        for i in 0..<5 { try await app.send(task: "tasks.add", args: [.int(Int64(i)), 1], options: CallOptions(route: .queue(q))) }
        try await app.send(task: "tasks.mul", args: [2, 3], options: CallOptions(route: .queue(idle)))
        // Neither queue is configured or consumed: only the management API can name them.
        let d = try await LiveDashboard(broker: amqp, backend: nil, queues: ["celery"], management: mgmt)
        defer { Task { await d.stop() } }
        #expect(try await eventually(.seconds(20)) {
            let a = try await Self.queue(d, q)?["messages"]?.intValue
            let b = try await Self.queue(d, idle)?["messages"]?.intValue
            return a == 5 && b == 1
        })
        let note = try await d.get("/api/queues").json()["note"]?.stringValue ?? ""
        #expect(note.contains("management API at http://guest:***@"))
        #expect(!note.contains("guest:guest"))
        try await Task.sleep(for: .seconds(1.2))
        let info = try #require(try await Self.queue(d, q))
        #expect(info["unacked"]?.intValue == 0)
        #expect(info["consumers"]?.intValue == 0)
        // Latency: the head has waited since the dashboard first saw it (no timestamp in Celery's envelope).
        #expect((info["oldest_age_seconds"]?.doubleValue ?? 0) > 0.5)
        let length = try await d.get("/api/queues/length").json()["active_queues"]?.arrayValue ?? []
        #expect(length.contains { $0["name"]?.stringValue == idle && $0["messages"]?.intValue == 1 })
        let metrics = try await d.get("/metrics").text
        #expect(metrics.contains("celery_queue_messages{queue=\"\(idle)\"} 1"))
        #expect(metrics.contains("celery_queue_latency_seconds{queue=\"\(q)\"}"))

        // Browse a page: next to run first, and the queue keeps every message.
        let page = try #require(try await d.get("/api/queue/\(q)/messages?offset=1&limit=3").json().arrayValue)
        #expect(page.count == 3)
        #expect(page.first?["position"]?.intValue == 1)
        #expect(page.first?["task"]?.stringValue == "tasks.add")
        #expect(page.first?["args"]?.stringValue == "(1, 1)")
        #expect(try await Self.ready(amqp, q) == 5)
        #expect(try await d.get("/queue/\(q)").text.contains("(4, 1)"))
        #expect(try await Self.ready(amqp, q) == 5)

        #expect(try await d.request("POST", "/api/queue/\(q)/purge").json()["purged"]?.intValue == 5)
        #expect(try await Self.ready(amqp, q) == 0)
        try await Self.delete(amqp, [q, idle, "\(q).dead_letter", "\(idle).dead_letter"])
    }

    /// Deletes the test's queues, so later runs list only their own.
    static func delete(_ amqp: String, _ queues: [String]) async throws {
        let c = try await AMQPConnection.connect(try AMQPConfiguration(url: amqp))
        let ch = try await c.openChannel()
        for q in queues { try await ch.queueDelete(q) }
        try? await c.close()
    }

    @Test func requeuesAndDeletesDeadLettersThroughAMQP() async throws {
        let amqp = try Servers.amqp(), mgmt = try Servers.amqpManagement()
        let q = Servers.unique("dash-dlq"), dlq = "\(q).dead_letter"
        let c = try await AMQPConnection.connect(try AMQPConfiguration(url: amqp))
        defer { Task { try? await c.close() } }
        let ch = try await c.openChannel()
        try await ch.queueDeclare(.init(queue: q, durable: true))
        try await ch.queueDeclare(.init(queue: dlq, durable: true))
        for i in 0..<3 {
            // As RabbitMQ dead-letters a rejected message: x-death names the queue it came from.
            let death: AMQPTable = ["queue": .string(q), "reason": .string("rejected"), "count": .int64(1), "time": .timestamp(UInt64(Date().timeIntervalSince1970))]
            let props = AMQPBasicProperties(
                contentType: "application/json",
                headers: ["id": .string("dead-\(i)"), "task": .string("tasks.fail"), "x-death": .array([.table(death)])])
            try await ch.publish(exchange: "", routingKey: dlq, properties: props, body: Array("[[], {}, {}]".utf8))
        }
        let d = try await LiveDashboard(broker: amqp, backend: nil, queues: [q], management: mgmt)
        defer { Task { await d.stop() } }
        let listed = try #require(try await d.get("/api/queue/\(q)/dead-letters").json().arrayValue)
        #expect(listed.map { $0["id"]?.stringValue } == ["dead-0", "dead-1", "dead-2"])
        #expect(listed.first?["reason"]?.stringValue == "rejected")
        #expect(try await Self.ready(amqp, dlq) == 3)

        // Requeue the middle one: it is back on its queue, the others stay in order.
        #expect(try await d.request("POST", "/api/queue/\(q)/dead-letters/requeue?index=1").status == 200)
        #expect(try await Self.ready(amqp, q) == 1)
        #expect(try await Self.ready(amqp, dlq) == 2)
        let left = try #require(try await d.get("/api/queue/\(q)/dead-letters").json().arrayValue)
        #expect(left.map { $0["id"]?.stringValue } == ["dead-0", "dead-2"])
        let back = try #require(try await d.get("/api/queue/\(q)/messages").json().arrayValue)
        #expect(back.first?["id"]?.stringValue == "dead-1")
        // Requeued without the death headers.
        let ch2 = try await c.openChannel()
        let m = try #require(try await ch2.get(queue: q, noAck: true))
        #expect(m.properties.headers?["x-death"] == nil)
        #expect(m.properties.headers?["id"]?.stringValue == "dead-1")

        #expect(try await d.request("POST", "/api/queue/\(q)/dead-letters/delete?index=0").status == 200)
        #expect(try await d.request("POST", "/api/queue/\(q)/dead-letters/delete?index=7").status == 404)
        #expect(try await Self.ready(amqp, dlq) == 1)
        #expect(try await d.request("POST", "/api/queue/\(q)/dead-letters/requeue").status == 200)
        #expect(try await Self.ready(amqp, dlq) == 0)
        #expect(try await Self.ready(amqp, q) == 1)
        try await ch2.queueDelete(q)
        try await ch2.queueDelete(dlq)
    }

    @Test func fallsBackToCountsAndSaysWhyWhenTheAPIDoesNotAnswer() async throws {
        let amqp = try Servers.amqp()
        let q = Servers.unique("dash-noapi")
        RabbitMQTransport.register()
        let app = try await Celery(name: "prefill", broker: amqp)
        defer { Task { try? await app.close() } }
        for i in 0..<2 { try await app.send(task: "tasks.add", args: [.int(Int64(i)), 1], options: CallOptions(route: .queue(q))) }
        // A port nothing listens on (the password must not show in the reason).
        let d = try await LiveDashboard(broker: amqp, backend: nil, queues: [q], management: "http://guest:s3cret@127.0.0.1:9/")
        defer { Task { await d.stop() } }
        let all = try await d.get("/api/queues").json()
        let note = all["note"]?.stringValue ?? ""
        #expect(note.contains("counts only"))
        #expect(note.contains("not available"))
        #expect(note.contains("127.0.0.1:9"))
        #expect(!note.contains("s3cret"))
        let info = try #require(all["queues"]?.arrayValue?.first { $0["name"]?.stringValue == q })
        #expect(info["messages"]?.intValue == 2)
        #expect(try await d.get("/api/queue/\(q)/messages").status == 501)
        #expect(try await d.get("/queues").text.contains("counts only"))
        try await Self.delete(amqp, [q, "\(q).dead_letter"])
    }
}
