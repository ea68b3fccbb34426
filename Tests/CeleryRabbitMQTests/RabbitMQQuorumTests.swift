import AMQP091
import Celery
import Foundation
import Testing

@testable import CeleryRabbitMQ

/// Quorum queues as Celery 5.5+ declares them, `x-delivery-limit`, native delayed delivery
/// (Celery's `celery_delayed_*` layout) and the server's `basic.cancel`, on the test node.
@Suite("RabbitMQ quorum queues and delayed delivery", .serialized)
struct RabbitMQQuorumTests {
    @Test func delayRoutingKeysAreCeleryLayout() {
        let two = RabbitMQDelayedDelivery.routingKey(delay: 2, destination: "celery")
        #expect(two == String(repeating: "0.", count: 26) + "1.0.celery")
        #expect(RabbitMQDelayedDelivery.routingKey(delay: 5, destination: two) == String(repeating: "0.", count: 25) + "1.0.1.celery")
        #expect(RabbitMQDelayedDelivery.stripPrefix("celery") == "celery")
        #expect(RabbitMQDelayedDelivery.stripPrefix("0.1.celery") == "0.1.celery")
        #expect(RabbitMQDelayedDelivery.routingKey(delay: Int.max, destination: "q").hasPrefix(String(repeating: "1.", count: 28)))
        #expect(RabbitMQDelayedDelivery.pattern(level: 27, digit: "1") == "1.#")
        #expect(RabbitMQDelayedDelivery.pattern(level: 0, digit: "0") == String(repeating: "*.", count: 27) + "0.#")
        var m = taskMessage(1)
        let now = Date()
        m.headers["eta"] = .string(CeleryDate.format(now.addingTimeInterval(2.6)))
        #expect(RabbitMQDelayedDelivery.delay(of: m, now: now) == 2)
        m.headers["eta"] = .string(CeleryDate.format(now.addingTimeInterval(1.95)))
        #expect(RabbitMQDelayedDelivery.delay(of: m, now: now) == 2, "a 2 s countdown a little later")
        m.headers["eta"] = .string(CeleryDate.format(now.addingTimeInterval(0.6)))
        #expect(RabbitMQDelayedDelivery.delay(of: m, now: now) == nil)
        m.headers["eta"] = .string(CeleryDate.format(now.addingTimeInterval(30)))
        m.headers["expires"] = .string(CeleryDate.format(now.addingTimeInterval(10)))
        #expect(RabbitMQDelayedDelivery.delay(of: m, now: now) == nil, "expires before its ETA: seen on time")
    }

    @Test func quorumQueueIsDeclaredAsCeleryDeclaresIt() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + "?queue_type=quorum")
        let q = unique("q-celery-decl")
        _ = try await broker.publish(taskMessage(1), to: .queue(q))
        let (conn, ch) = try await rawChannel(url)
        // What kombu sends for `Queue(q, queue_arguments={"x-queue-type": "quorum"})`: accepted as equal.
        let ok = try await ch.queueDeclare(.init(queue: q, durable: true, arguments: ["x-queue-type": .string("quorum")]))
        #expect(ok.messageCount == 1)
        let mismatch = await #expect(throws: AMQPError.self) { try await ch.queueDeclare(.init(queue: q, durable: true)) }
        #expect(mismatch?.replyCode == 406, "it is a quorum queue, not a classic one")
        try await conn.close()
        try await broker.close()
    }

    /// A message rejected with requeue on every delivery (what the worker does for a task that
    /// keeps asking to be requeued) is delivered `limit + 1` times, then the server moves it to
    /// `<queue>.dead_letter`.
    @Test func deliveryLimitStopsAPoisonMessage() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + "?queue_type=quorum&x_delivery_limit=2")
        let q = unique("q-poison")
        _ = try await broker.publish(taskMessage(7), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        var counts: [Int] = []
        while let d = try await next(c, within: .seconds(3)) {
            counts.append(d.deliveryCount)
            try await d.requeue()
            if counts.count > 10 { break }
        }
        #expect(counts == [1, 2, 3])
        var dead = 0
        for _ in 0..<50 {
            dead = try await broker.deadLetterCount(queue: q)
            if dead == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(dead == 1)
        await c.cancel()
        try await broker.close()
    }

    /// A countdown publish goes through the delay levels (countdown 2 s = binary 10: it waits in
    /// `celery_delayed_1`), is not in the work queue meanwhile, and arrives no earlier than 1 s.
    @Test func countdownTaskTravelsThroughTheDelayLevels() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + "?queue_type=quorum&exchange_type=topic")
        let q = unique("q-delayed")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        let level1Before = try await broker.queueLength("celery_delayed_1")
        var m = taskMessage(3)
        m.headers["eta"] = .string(CeleryDate.format(Date().addingTimeInterval(2.5)))
        let sent = ContinuousClock.now
        _ = try await broker.publish(m, to: .queue(q))
        #expect(try await broker.queueLength("celery_delayed_1") == level1Before + 1)
        let d = try #require(try await next(c, within: .seconds(10)))
        let waited = ContinuousClock.now - sent
        #expect(waited >= .milliseconds(1900), "arrived after \(waited)")
        #expect(number(d) == 3)
        #expect(d.message.headers["eta"] == m.headers["eta"], "headers travel unchanged")
        try await d.ack()
        await c.cancel()
        try await broker.close()
    }

    /// An ETA task published straight to a quorum queue (as Python Celery does with a direct
    /// exchange) is not held by the consumer: it is sent through the delay levels and acked,
    /// then arrives when due.
    @Test func anEarlyETATaskIsNotHeldUnacknowledged() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + "?queue_type=quorum")
        let q = unique("q-early")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        var m = taskMessage(4)
        m.headers["eta"] = .string(CeleryDate.format(Date().addingTimeInterval(3.5)))
        let (conn, ch) = try await rawChannel(url)
        try await ch.confirmSelect()
        let before = try await broker.queueLength("celery_delayed_1")
        try await ch.publish(exchange: "", routingKey: q, properties: RabbitMQMessageMapping.properties(for: m), body: m.body)
        let sent = ContinuousClock.now
        // Not handed out early; meanwhile it waits in the levels (3 s = 11: levels 1 then 0).
        #expect(try await next(c, within: .milliseconds(1200)) == nil)
        #expect(try await broker.queueLength("celery_delayed_1") == before + 1)
        let d = try #require(try await next(c, within: .seconds(10)))
        #expect(ContinuousClock.now - sent >= .milliseconds(2900))
        #expect(number(d) == 4)
        try await d.ack()
        await c.cancel()
        try await conn.close()
        try await broker.close()
    }

    /// The server cancels the consumer when its queue is deleted; the consumer declares the
    /// queue again, consumes on and takes what is published afterwards.
    @Test(arguments: ["", "?queue_type=quorum"])
    func aServerCancelIsFollowedByAReconsume(query: String) async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url + query)
        let q = unique("q-cancelled")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        _ = try await broker.publish(taskMessage(1), to: .queue(q))
        let first = try #require(try await next(c))
        try await first.ack()
        let (conn, ch) = try await rawChannel(url)
        try await ch.queueDelete(q)
        // A publisher of its own (ours caches the declaration) declares the queue again, too.
        let other = try RabbitMQBroker(url: url + query)
        var got: Int?
        for n in 2..<40 where got == nil {
            _ = try await other.publish(taskMessage(n), to: .queue(q))
            if let d = try await next(c, within: .milliseconds(500)) {
                got = number(d)
                try await d.ack()
            }
        }
        #expect(got != nil, "the consumer took nothing after its queue was deleted and declared again")
        try await conn.close()
        await c.cancel()
        try await other.close()
        try await broker.close()
    }
}
