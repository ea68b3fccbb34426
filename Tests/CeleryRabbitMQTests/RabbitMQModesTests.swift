import AMQP091
import Celery
import CeleryRabbitMQ
import Foundation
import Testing

@Suite("RabbitMQ broadcast, quorum, errors, Celery format", .serialized)
struct RabbitMQModesTests {
    @Test func broadcastFansOutToEverySubscriber() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let name = unique("b-fan")
        let nobody = try await broker.publish(taskMessage(0), to: .broadcast(name))
        #expect(nobody.receivers == 0)
        var subs: [any MessageConsumer] = []
        for _ in 0..<4 { subs.append(try await broker.consume(.broadcast(name), options: ConsumeOptions())) }
        for i in 1...3 {
            let r = try await broker.publish(taskMessage(i), to: .broadcast(name))
            #expect(r.receivers == nil)
            #expect(r.confirmed)
        }
        for s in subs {
            var got: [Int] = []
            for _ in 0..<3 { if let d = try await next(s) { got.append(number(d) ?? -1); #expect(d.acknowledger == nil) } }
            #expect(got == [1, 2, 3])
            await s.cancel()
        }
        // Every subscriber queue is gone (exclusive, auto-delete): unroutable again.
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await broker.publish(taskMessage(9), to: .broadcast(name)).receivers == 0)
        try await broker.close()
    }

    /// Celery's event exchange `celeryev` is a topic exchange: ours must be declared the same
    /// way (else the second declarer fails with 406), publish on the event's routing key, and
    /// a subscriber must receive every key.
    @Test func eventExchangeIsTopicAsCeleryDeclaresIt() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let sub = try await broker.consume(.broadcast("celeryev"), options: ConsumeOptions())
        func event(_ key: String) -> BrokerMessage {
            BrokerMessage(body: Array("{\"type\":\"\(key)\"}".utf8), deliveryMode: 1, extraProperties: ["routing_key": .string(key)])
        }
        let (conn, ch) = try await rawChannel(url)
        // Python Celery's declaration of the same exchange: no 406.
        try await ch.exchangeDeclare("celeryev", type: "topic", durable: true)
        // A Celery-style selective binding sees only its keys: routing is on the event key.
        let q = unique("ev-task")
        try await ch.queueDeclare(.init(queue: q, exclusive: true, autoDelete: true))
        try await ch.queueBind(queue: q, exchange: "celeryev", routingKey: "task.#")
        _ = try await broker.publish(event("worker.heartbeat"), to: .broadcast("celeryev"))
        _ = try await broker.publish(event("task.succeeded"), to: .broadcast("celeryev"))
        var got: [String] = []
        for _ in 0..<2 { if let d = try await next(sub) { got.append(EventDispatcher.events(in: d.message).first?["type"]?.stringValue ?? "?") } }
        #expect(got == ["worker.heartbeat", "task.succeeded"])
        let only = try #require(try await ch.get(queue: q, noAck: true))
        #expect(String(decoding: only.body, as: UTF8.self).contains("task.succeeded"))
        #expect(try await ch.get(queue: q, noAck: true) == nil)
        await sub.cancel()
        try await broker.close()
        try await conn.close()
    }

    @Test func quorumQueueCountsDeliveries() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + "?queue_type=quorum&delivery_limit=5")
        let q = unique("b-quorum")
        _ = try await broker.publish(taskMessage(5), to: .queue(q))
        let (conn, ch) = try await rawChannel(url)
        // The queue really is a quorum queue: redeclaring it as classic fails with 406.
        let mismatch = await #expect(throws: AMQPError.self) { try await ch.queueDeclare(.init(queue: q, durable: true)) }
        #expect(mismatch?.replyCode == 406)
        try await conn.close()
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        var counts: [Int] = []
        for _ in 0..<3 {
            let d = try #require(try await next(c))
            counts.append(d.deliveryCount)
            try await d.requeue()
        }
        #expect(counts == [1, 2, 3])
        let last = try #require(try await next(c))
        try await last.deadLetter(reason: "done")
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await broker.deadLetterCount(queue: q) == 1)
        await c.cancel()
        try await broker.close()
    }

    /// Celery's remote-control replies go to a queue another connection holds exclusively
    /// (`<oid>.reply.celery.pidbox`): declaring it fails with 405, publishing still works.
    @Test func publishToAnotherConnectionsExclusiveQueue() async throws {
        guard let url = amqpURL() else { return }
        let q = unique("oid") + ".reply.celery.pidbox"
        let (conn, ch) = try await rawChannel(url)
        try await ch.queueDeclare(.init(queue: q, exclusive: true, autoDelete: true))
        let broker = try RabbitMQBroker(url: url)
        _ = try await broker.publish(taskMessage(8), to: .queue(q))
        let got = try #require(try await ch.get(queue: q, noAck: true))
        #expect(got.properties.headers?["task"]?.stringValue == "tasks.add")
        // Nothing else was declared for it.
        await #expect(throws: AMQPError.self) { try await ch.exchangeDeclare(.init(exchange: q, type: "direct", passive: true)) }
        try await broker.close()
        try? await conn.close()
    }

    @Test func badURLQueueTypeIsRejected() throws {
        #expect(throws: CeleryError.self) { _ = try RabbitMQBroker(url: "amqp://localhost/?queue_type=stream2") }
        #expect(throws: CeleryError.self) { _ = try RabbitMQBroker(url: "amqp://localhost:99999/") }
        #expect(throws: CeleryError.self) { _ = try RabbitMQBroker(url: "redis://localhost/") }
    }

    @Test func wrongPasswordIsAClearError() async throws {
        guard let url = amqpURL() else { return }
        let config = try AMQPConfiguration(url: url)
        let bad = "amqp://\(config.user):not-the-password@\(config.endpoint)/"
        RabbitMQTransport.register()
        let error = await #expect(throws: CeleryError.self) { _ = try await TransportRegistry.broker(url: bad) }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("ACCESS_REFUSED") == true)
        #expect(error?.message.contains(config.endpoint) == true)
        #expect(error?.message.contains("not-the-password") == false)
    }

    @Test func unreachableServerFailsWithinTimeout() async throws {
        RabbitMQTransport.register()
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: CeleryError.self) {
            _ = try await TransportRegistry.broker(url: "amqp://guest:hunter2@127.0.0.1:9/?connection_timeout=3000")
        }
        #expect(clock.now - start < .seconds(6))
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("127.0.0.1:9") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    /// What a Python Celery worker reads: default exchange, routing key = queue, raw JSON body,
    /// v2 headers in the headers table, Celery's properties.
    @Test func celeryFormatIsReadableWithPlainBasicGet() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-format")
        var m = taskMessage(2, id: "cb10a681-b522-4bf5-9b7a-bbe10edb7e82")
        m.expirationMilliseconds = 60_000
        _ = try await broker.publish(m, to: .queue(q))
        let (conn, ch) = try await rawChannel(url)
        let got = try #require(try await ch.get(queue: q, noAck: true))
        #expect(got.exchange == "")
        #expect(got.routingKey == q)
        #expect(String(decoding: got.body, as: UTF8.self).hasPrefix("[[2, 4], {}, {\"callbacks\""))
        let p = got.properties
        #expect(p.contentType == "application/json")
        #expect(p.contentEncoding == "utf-8")
        #expect(p.deliveryMode == 2)
        #expect(p.priority == 3)
        #expect(p.correlationId == "cb10a681-b522-4bf5-9b7a-bbe10edb7e82")
        #expect(p.replyTo == "reply-2")
        #expect(p.expiration == "60000")
        let h = try #require(p.headers)
        #expect(h["task"]?.stringValue == "tasks.add")
        #expect(h["id"]?.stringValue == "cb10a681-b522-4bf5-9b7a-bbe10edb7e82")
        #expect(h["lang"]?.stringValue == "py")
        #expect(h["retries"]?.intValue == 0)
        #expect(h["eta"] == .void)
        #expect(h["timelimit"] == .array([.void, .void]))
        #expect(h["stamps"] == .table([:]))
        #expect(h["ignore_result"] == .bool(false))
        // The topology Celery expects: a durable direct exchange named after the queue.
        try await ch.exchangeDeclare(.init(exchange: q, type: "direct", passive: true))
        try await conn.close()
        try await broker.close()
    }
}
