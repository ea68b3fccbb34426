import AMQP091
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// Celery 5.5's native delayed delivery on RabbitMQ, with the same names and routing keys, so
/// a countdown task published by Python Celery runs on a Swift worker at the right time and
/// the reverse.
///
/// The layout (declared by every worker, and by a client before its first delayed publish):
/// - 28 durable topic exchanges `celery_delayed_27` … `celery_delayed_0`, each with a durable
///   queue of the same name: `x-queue-type: quorum`, `x-overflow: reject-publish`,
///   `x-message-ttl` = 2^level s, `x-dead-letter-strategy: at-least-once`, and
///   `x-dead-letter-exchange` = the next level down (`celery_delayed_delivery` for level 0);
/// - the routing key of a delayed message is the delay in whole seconds as 28 binary digits,
///   most significant first, each followed by a dot, then the destination routing key
///   (`0.0.….1.0.celery` for 2 s to `celery`);
/// - level L's queue is bound to its exchange with the key pattern whose digit for 2^L is `1`
///   (`*.` × (27 − L) + `1.#`); exchange L is bound to exchange L − 1 for the digit `0`
///   (`*.` × (27 − L) + `0.#`), and exchange 0 to `celery_delayed_delivery` for `0`;
/// - so a message waits 2^L s in queue L for each `1` digit and skips the levels with `0`,
///   then reaches the topic exchange `celery_delayed_delivery`, where destination queues are
///   bound with `#.<routing key>`: as Celery binds them (the queue's exchange bound to
///   `celery_delayed_delivery`, the queue to its exchange) when the queue's exchange is
///   `topic`; for a `direct` exchange (which Celery's delayed delivery skips) the queue itself
///   is bound to `celery_delayed_delivery`.
///
/// The message keeps its headers: when it arrives its `eta` has (nearly) passed, and the
/// worker runs it at once. A worker that receives an ETA task at least 1 s early on a quorum
/// queue sends it through the delay levels and acks it rather than holding it.
enum RabbitMQDelayedDelivery {
    /// Binary digits of the delay in the routing key.
    static let digits = 28
    /// Longest delay the layout can express, in seconds (about 8.5 years).
    static let maxDelay = (1 << digits) - 1
    /// The exchange delayed messages leave the levels through.
    static let deliveryExchange = "celery_delayed_delivery"
    /// Where delayed messages are published.
    static var entryExchange: String { level(digits - 1) }

    /// The exchange and queue of one level (0…27).
    static func level(_ l: Int) -> String { "celery_delayed_\(l)" }

    /// The routing key for a delay of `seconds` (1…``maxDelay``) to `destination`; an earlier
    /// delay prefix on `destination` is removed first (a task retried with a countdown).
    static func routingKey(delay seconds: Int, destination: String) -> String {
        let s = min(max(seconds, 0), maxDelay)
        var out = ""
        out.reserveCapacity(digits * 2 + destination.utf8.count)
        for bit in stride(from: digits - 1, through: 0, by: -1) {
            out += (s >> bit) & 1 == 1 ? "1." : "0."
        }
        return out + stripPrefix(destination)
    }

    /// `key` without a leading delay prefix (28 × `[01].`), if it has one.
    static func stripPrefix(_ key: String) -> String {
        let u = Array(key.utf8)
        guard u.count >= digits * 2 else { return key }
        for i in 0..<digits where !((u[2 * i] == UInt8(ascii: "0") || u[2 * i] == UInt8(ascii: "1")) && u[2 * i + 1] == UInt8(ascii: ".")) {
            return key
        }
        return String(decoding: u[(digits * 2)...], as: UTF8.self)
    }

    /// Whole seconds until the message's `eta` header (rounded down, allowing 0.1 s) when that
    /// is at least 1 s away (capped at ``maxDelay``), else `nil`. `nil` too when the task expires by then (it must be seen,
    /// and marked expired, on time).
    static func delay(of message: BrokerMessage, now: Date = Date()) -> Int? {
        guard let text = message.headers["eta"]?.stringValue, let eta = CeleryDate.parse(text) else { return nil }
        if let e = message.headers["expires"]?.stringValue.flatMap(CeleryDate.parse), e <= eta { return nil }
        // Up to 0.1 s late rather than a whole second early: a countdown of 2 s, turned into
        // an ETA by the client, is 1.99… s away by the time it is published.
        let seconds = eta.timeIntervalSince(now) + 0.1
        guard seconds >= 1, seconds.isFinite else { return nil }
        return seconds >= Double(maxDelay) ? maxDelay : Int(seconds)
    }

    /// Arguments of level `l`'s queue, as Celery declares them (queue type quorum, its default
    /// `broker_native_delayed_delivery_queue_type`).
    static func queueArguments(level l: Int) -> AMQPTable {
        let ttl = Int64(1 << l) * 1000
        return [
            "x-queue-type": .string("quorum"),
            "x-overflow": .string("reject-publish"),
            "x-message-ttl": Int32(exactly: ttl).map(AMQPFieldValue.int32) ?? .int64(ttl),
            "x-dead-letter-exchange": .string(l > 0 ? level(l - 1) : deliveryExchange),
            "x-dead-letter-strategy": .string("at-least-once"),
        ]
    }

    /// Declares the 28 levels and the delivery exchange with their bindings (idempotent: what
    /// exists with the same properties is left as it is; a level queue that exists with other
    /// arguments is used as declared).
    static func declareTopology(on c: AMQPConnection, logger: Logger) async throws {
        let ch = try await c.openChannel()
        do {
            for l in stride(from: digits - 1, through: 0, by: -1) {
                let name = level(l)
                try await ch.exchangeDeclare(name, type: "topic", durable: true)
                _ = try await RabbitMQConnectionKeeper.declareTolerant(name, arguments: queueArguments(level: l), on: c, logger: logger)
                try await ch.queueBind(queue: name, exchange: name, routingKey: pattern(level: l, digit: "1"))
            }
            try await ch.exchangeDeclare(deliveryExchange, type: "topic", durable: true)
            for l in stride(from: digits - 1, through: 0, by: -1) {
                try await ch.exchangeBind(
                    destination: l > 0 ? level(l - 1) : deliveryExchange, source: level(l), routingKey: pattern(level: l, digit: "0"))
            }
            try? await ch.close()
        } catch {
            try? await ch.close()
            throw error
        }
    }

    /// The key pattern that matches routing keys whose digit for 2^l is `digit`.
    static func pattern(level l: Int, digit: String) -> String {
        String(repeating: "*.", count: digits - 1 - l) + digit + ".#"
    }

    /// Binds a work queue so delayed messages for routing key `queue` reach it (see the type's
    /// documentation for the `direct` case).
    static func bind(queue: String, exchangeType: String, on ch: AMQPChannel) async throws {
        let key = "#.\(queue)"
        if exchangeType == "direct" {
            try await ch.queueBind(queue: queue, exchange: deliveryExchange, routingKey: key)
        } else {
            try await ch.exchangeBind(destination: queue, source: deliveryExchange, routingKey: key)
            try await ch.queueBind(queue: queue, exchange: queue, routingKey: key)
        }
    }

    /// An ETA task at least 1 s early on a quorum queue: published again through the delay
    /// levels (confirmed), then acked, so no worker holds it unacknowledged. `false` (the
    /// delivery is handed out and held by the worker as before) when the publish fails.
    static func resend(_ m: AMQPMessage, _ ch: AMQPChannel, broker: RabbitMQBroker, queue: String, delay: Int) async -> Bool {
        do {
            try await broker.publishDelayed(properties: m.properties, body: m.body, queue: queue, delay: delay)
        } catch {
            broker.logger.warning(
                "cannot send an ETA task through delayed delivery; holding it", metadata: ["queue": "\(queue)", "error": "\(error)"])
            return false
        }
        do {
            try await ch.ack(deliveryTag: m.deliveryTag)
        } catch {
            // The server redelivers the original: it may run twice (once early-held, once delayed).
            broker.logger.warning(
                "ETA task sent through delayed delivery but its ack failed; it may run twice", metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
        broker.logger.debug("ETA task sent through delayed delivery", metadata: ["queue": "\(queue)", "delay_s": "\(delay)"])
        return true
    }
}
