import AMQP091
import Celery
import CeleryRabbitMQ
import CeleryTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Remote control's reply queues are transient, as kombu declares them: nothing of a call
/// (`celery-admin inspect`, ``ControlClient``) stays on the node after it, and a killed caller's
/// queue goes away too. What the node holds is read through its management API
/// (scripts/services/rabbitmq.sh enables it on the AMQP port + 9).
@Suite(.serialized) struct RabbitMQControlQueueTests {
    init() { RabbitMQTransport.register() }

    /// The reply queue as the caller declares it: not durable, exclusive, auto-delete, kombu's
    /// `x-expires` and `x-message-ttl`, bound to `reply.celery.pidbox` with the caller's oid, no
    /// dead-letter companion; Python workers' replies (to that exchange) and ours (to the queue
    /// through the default exchange) both arrive; cancelling the consumer deletes it.
    @Test func replyQueueIsTransientAndGoesWithItsConsumer() async throws {
        guard let url = amqpURL(), let api = ManagementAPI() else { return }
        let reply = ControlReplyQueue(oid: UUID().uuidString.lowercased())
        let broker = try RabbitMQBroker(url: url)
        let consumer = try await broker.consume(.queue(reply.name), options: ConsumeOptions(prefetch: 8))

        let q = try #require(try await api.queue(reply.name), "the reply queue exists while consumed")
        #expect(q["durable"] as? Bool == false)
        #expect(q["auto_delete"] as? Bool == true)
        #expect(q["exclusive"] as? Bool == true)
        let args = q["arguments"] as? [String: Any] ?? [:]
        #expect(args["x-expires"] as? Int == 10_000)
        #expect(args["x-message-ttl"] as? Int == 300_000)
        #expect(args["x-dead-letter-exchange"] == nil)
        let bindings = try await api.list("queues/%2F/\(ManagementAPI.escape(reply.name))/bindings")
        #expect(bindings.contains { $0["source"] as? String == "reply.celery.pidbox" && $0["routing_key"] as? String == reply.oid }, "\(bindings)")
        #expect(try await api.queue(reply.name + ".dead_letter") == nil)
        #expect(try await api.exchange(reply.name) == nil, "no exchange of its own")
        #expect(try await api.exchange("reply.celery.pidbox")?["durable"] as? Bool == false)

        // A Python worker's reply: to the reply exchange with the oid as routing key.
        let (conn, ch) = try await rawChannel(url)
        try await ch.publish(exchange: reply.exchange, routingKey: reply.oid, properties: .init(deliveryMode: 1), body: Array("{\"py@h\": {\"ok\": \"pong\"}}".utf8))
        // Ours: to the queue by name, declaring nothing.
        _ = try await broker.publish(BrokerMessage(body: Array("{\"swift@h\": {\"ok\": \"pong\"}}".utf8), deliveryMode: 1), to: .queue(reply.name))
        var bodies: Set<String> = []
        for _ in 0..<2 {
            let d = try #require(try await next(consumer))
            bodies.insert(String(decoding: d.message.body, as: UTF8.self))
            try await d.ack()
        }
        #expect(bodies.contains { $0.contains("py@h") } && bodies.contains { $0.contains("swift@h") })

        await consumer.cancel()
        #expect(try await eventually(.seconds(5)) { try await api.queue(reply.name) == nil }, "auto-deleted with its consumer")
        // A reply to a caller that is gone is dropped: publishing does not create the queue again.
        _ = try await broker.publish(BrokerMessage(body: Array("{}".utf8), deliveryMode: 1), to: .queue(reply.name))
        #expect(try await api.queue(reply.name) == nil)
        try await broker.close()
        try? await conn.close()
    }

    /// Many calls against a live worker: each gets its reply, and afterwards no reply queue, no
    /// `.dead_letter` companion and no per-caller exchange is left on the node.
    @Test func controlCallsLeaveNothingBehind() async throws {
        guard let url = amqpURL(), let api = ManagementAPI() else { return }
        let before = try await api.replyLeftovers()
        let host = unique("pidbox") + "@test"
        let app = try await Celery(name: "pidbox", broker: url)
        let worker = Worker(app: app, options: WorkerOptions(concurrency: 1, queues: [unique("pidbox-q")], hostname: host, sendEvents: false))
        let run = Task { try await worker.run() }
        await worker.waitUntilStarted()
        for method in ["ping", "stats", "registered", "ping", "active"] {
            let replies = try await app.controlClient.call(method, destination: [host], timeout: .seconds(5), limit: 1)
            #expect(replies[host] != nil, "\(method): \(replies)")
        }
        worker.shutdown()
        _ = await run.result
        try await app.close()
        var left: Set<String> = []
        #expect(try await eventually(.seconds(5)) {
            left = try await api.replyLeftovers().subtracting(before)
            return left.isEmpty
        }, "left on the node: \(left.sorted())")
    }

    /// `celery-admin inspect ping` killed with SIGKILL while it waits: its reply queue is gone
    /// within the queue's expiry (at once, in fact: it is exclusive to the dead connection).
    @Test func aKilledCallersReplyQueueDisappears() async throws {
        guard let url = amqpURL(), let api = ManagementAPI() else { return }
        let admin = LiveServers.binDirectory + "/celery-admin"
        guard FileManager.default.isExecutableFile(atPath: admin) else {
            if LiveServers.inCI { Issue.record("\(admin) is not built") }
            return
        }
        let before = try await api.replyLeftovers()
        let caller = try Child(admin, ["inspect", "ping", "--broker", url, "--timeout", "60"], name: "killed-caller")
        defer { caller.killNow() }
        var mine: Set<String> = []
        try await waitUntil(within: .seconds(30), "the caller's reply queue") {
            mine = try await api.replyLeftovers().subtracting(before)
            return !mine.isEmpty
        }
        kill(caller.process.processIdentifier, SIGKILL)
        let killed = ContinuousClock.now
        try await waitUntil(within: ControlReplyQueue.expires + .seconds(5), "the killed caller's queue to go") {
            try await api.replyLeftovers().isDisjoint(with: mine)
        }
        print("RABBITMQ killed caller: reply queue \(mine.sorted()) gone \(ContinuousClock.now - killed) after SIGKILL")
    }
}

/// Just enough of RabbitMQ's management HTTP API for these tests (`CELERY_TEST_AMQP_MANAGEMENT_URL`,
/// `http://user:password@host:port/`). `nil` (and a failure in CI) when it is not set.
struct ManagementAPI {
    let base: String
    let authorization: String

    init?(sourceLocation: SourceLocation = #_sourceLocation) {
        guard let raw = LiveServers.url("CELERY_TEST_AMQP_MANAGEMENT_URL", sourceLocation: sourceLocation),
            let u = URLComponents(string: raw), let host = u.host, let port = u.port
        else { return nil }
        base = "http://\(host):\(port)/api/"
        let credentials = "\(u.user ?? "guest"):\(u.password ?? "guest")"
        authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
    }

    static func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    /// GET `path`: the decoded JSON, or `nil` on 404.
    func get(_ path: String) async throws -> Any? {
        var r = URLRequest(url: URL(string: base + path)!)
        r.setValue(authorization, forHTTPHeaderField: "Authorization")
        r.timeoutInterval = 10
        let (data, status): (Data, Int) = try await withCheckedThrowingContinuation { c in
            URLSession.shared.dataTask(with: r) { data, resp, error in
                if let error { c.resume(throwing: error) } else { c.resume(returning: (data ?? Data(), (resp as? HTTPURLResponse)?.statusCode ?? 0)) }
            }.resume()
        }
        if status == 404 { return nil }
        guard status == 200 else { throw ManagementError(description: "GET \(path): HTTP \(status) \(String(decoding: data, as: UTF8.self))") }
        return try JSONSerialization.jsonObject(with: data)
    }

    func list(_ path: String) async throws -> [[String: Any]] { try await get(path) as? [[String: Any]] ?? [] }
    func queue(_ name: String) async throws -> [String: Any]? { try await get("queues/%2F/\(Self.escape(name))") as? [String: Any] }
    func exchange(_ name: String) async throws -> [String: Any]? { try await get("exchanges/%2F/\(Self.escape(name))") as? [String: Any] }

    /// Queues and exchanges of remote-control replies on `/`: `<oid>.reply.celery.pidbox` queues
    /// and anything named after one (`….dead_letter`, `….dlx`, a per-caller exchange). The shared
    /// exchange `reply.celery.pidbox` is not one.
    func replyLeftovers() async throws -> Set<String> {
        let queues = try await list("queues/%2F?columns=name").compactMap { $0["name"] as? String }
        let exchanges = try await list("exchanges/%2F?columns=name").compactMap { $0["name"] as? String }
        return Set(queues.map { "queue " + $0 } + exchanges.map { "exchange " + $0 }).filter { $0.contains(".reply.celery.pidbox") }
    }
}

struct ManagementError: Error, CustomStringConvertible { var description: String }
