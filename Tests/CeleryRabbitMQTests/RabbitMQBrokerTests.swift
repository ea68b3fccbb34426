import AMQP091
import Celery
import CeleryRabbitMQ
import Foundation
import Testing

@Suite("RabbitMQBroker", .serialized)
struct RabbitMQBrokerTests {
    @Test func publishConfirmConsumeAck() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-basic")
        let receipt = try await broker.publish(taskMessage(1), to: .queue(q))
        #expect(receipt.confirmed)
        #expect(receipt.receivers == nil)
        #expect(try await broker.queueLength(q) == 1)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await next(c))
        #expect(number(d) == 1)
        #expect(!d.redelivered)
        #expect(d.deliveryCount == 1)
        #expect(d.message.headers["task"] == "tasks.add")
        #expect(d.message.headers["shadow"] == .null)
        #expect(d.message.headers["timelimit"] == [nil, nil])
        #expect(d.message.headers["ratio"] == 0.5)
        #expect(d.message.headers["big"] == .int(Int64(1) << 40))
        #expect(d.message.headers["nested"] == ["a": [1, "x", ["b": true]]])
        #expect(d.message.priority == 3)
        #expect(d.message.replyTo == "reply-1")
        try await d.ack()
        await c.cancel()
        #expect(try await broker.queueLength(q) == 0)
        try await broker.close()
    }

    @Test func prefetchBoundsUnackedDeliveries() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-qos")
        for i in 0..<5 { _ = try await broker.publish(taskMessage(i), to: .queue(q)) }
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        let d1 = try #require(try await next(c))
        let d2 = try #require(try await next(c))
        #expect(try await next(c, within: .milliseconds(400)) == nil)
        #expect(try await broker.queueLength(q) == 3)
        try await d1.ack()
        let d3 = try #require(try await next(c))
        #expect([number(d1), number(d2), number(d3)] == [0, 1, 2])
        // adjustPrefetch re-issues basic.qos: two more arrive while d2 and d3 are held.
        await c.adjustPrefetch(by: 2)
        let d4 = try #require(try await next(c))
        let d5 = try #require(try await next(c))
        #expect([number(d4), number(d5)] == [3, 4])
        for d in [d2, d3, d4, d5] { try await d.ack() }
        await c.cancel()
        try await broker.close()
    }

    @Test func requeueRedeliversMarked() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-requeue")
        _ = try await broker.publish(taskMessage(7), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await next(c))
        try await d.requeue()
        let again = try #require(try await next(c))
        #expect(number(again) == 7)
        #expect(again.redelivered)
        #expect(again.deliveryCount == 2)
        try await again.ack()
        await c.cancel()
        try await broker.close()
    }

    @Test func deadLetterGoesToDeadLetterQueue() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + "?dlx_argument=true")
        let q = unique("b-dlx")
        _ = try await broker.publish(taskMessage(9), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await next(c))
        try await d.deadLetter(reason: "poison")
        #expect(try await next(c, within: .milliseconds(300)) == nil)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await broker.deadLetterCount(queue: q) == 1)
        let (conn, ch) = try await rawChannel(url)
        let dead = try #require(try await ch.get(queue: "\(q).dead_letter", noAck: true))
        #expect(dead.properties.headers?["x-death"] != nil)
        #expect(dead.properties.correlationId == d.message.correlationId)
        try await conn.close()
        await c.cancel()
        try await broker.close()
    }

    /// By default classic queues are declared exactly as Celery declares them, so a Python
    /// worker's declaration of the same queue succeeds; dead-letters still reach `<q>.dead_letter`.
    @Test func defaultDeclarationMatchesCelerys() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-compat")
        _ = try await broker.publish(taskMessage(4), to: .queue(q))
        let (conn, ch) = try await rawChannel(url)
        try await ch.exchangeDeclare(q, type: "direct", durable: true)
        let declared = try await ch.queueDeclare(.init(queue: q, durable: true))  // no 406
        #expect(declared.messageCount == 1)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await next(c))
        try await d.deadLetter(reason: "compat")
        let dead = try #require(try await ch.get(queue: "\(q).dead_letter", noAck: true))
        #expect(dead.properties.headers?["x-celery-dead-letter-reason"]?.stringValue == "compat")
        #expect(dead.body == d.message.body)
        await c.cancel()
        try await broker.close()
        try await conn.close()
    }

    @Test func celeryDeclaredQueueWithoutDLXFallsBack() async throws {
        guard let url = amqpURL() else { return }
        let q = unique("b-celeryq")
        // As Python Celery declares it: durable, no arguments.
        let (conn, ch) = try await rawChannel(url)
        try await ch.exchangeDeclare(q, type: "direct", durable: true)
        try await ch.queueDeclare(.init(queue: q, durable: true))
        try await ch.queueBind(queue: q, exchange: q, routingKey: q)
        let broker = try RabbitMQBroker(url: url + "?dlx_argument=true")
        _ = try await broker.publish(taskMessage(3), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await next(c))
        try await d.deadLetter(reason: "bad body")
        let dead = try #require(try await ch.get(queue: "\(q).dead_letter", noAck: true))
        #expect(dead.properties.headers?["x-celery-dead-letter-reason"]?.stringValue == "bad body")
        #expect(try await broker.queueLength(q) == 0)
        await c.cancel()
        try await broker.close()
        try await conn.close()
    }

    @Test func cancelRequeuesUnackedAsRedelivered() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-cancel")
        for i in 0..<2 { _ = try await broker.publish(taskMessage(i), to: .queue(q)) }
        let c1 = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        let a = try #require(try await next(c1))
        let b = try #require(try await next(c1))
        #expect(!a.redelivered && !b.redelivered)
        await c1.cancel()
        await #expect(throws: CeleryError.self) { try await a.ack() }
        let c2 = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        let a2 = try #require(try await next(c2))
        let b2 = try #require(try await next(c2))
        #expect([number(a2), number(b2)] == [0, 1])
        #expect(a2.redelivered && b2.redelivered)
        try await a2.ack()
        try await b2.ack()
        await c2.cancel()
        try await broker.close()
    }

    @Test func nackedPublishThrowsUnconfirmed() async throws {
        guard let url = amqpURL() else { return }
        let q = unique("b-nack")
        // A full queue with reject-publish overflow makes the server nack publishes.
        let (conn, ch) = try await rawChannel(url)
        try await ch.queueDeclare(.init(queue: q, durable: true, arguments: ["x-max-length": .int32(1), "x-overflow": .string("reject-publish")]))
        let broker = try RabbitMQBroker(url: url)
        _ = try await broker.publish(taskMessage(1), to: .queue(q))
        let error = await #expect(throws: CeleryError.self) { _ = try await broker.publish(taskMessage(2), to: .queue(q)) }
        #expect(error?.kind == .unconfirmed)
        #expect(try await broker.queueLength(q) == 1)
        try await ch.queueDelete(q)
        try await broker.close()
        try await conn.close()
    }
}
