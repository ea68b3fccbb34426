import AMQP091
import Celery
import Foundation
import Logging

/// A subscription on its own channel. Queue mode: `basic.qos` = prefetch, manual acks.
/// Broadcast mode: an exclusive auto-delete queue `bcast.<uuid>` bound to the fanout
/// exchange, no acks.
///
/// Recovery: when the channel or connection fails, ``next()`` reconnects with exponential
/// backoff (``RabbitMQOptions/reconnectInitialDelay`` … ``RabbitMQOptions/reconnectMaxDelay``),
/// declares the exchange, queue, bindings and dead-letter topology again and re-issues
/// `basic.qos` and `basic.consume`. Deliveries received before the failure cannot be
/// settled any more (their acks throw `invalidState`); the server has already requeued
/// them and delivers them again, marked redelivered. A broadcast subscriber gets a new
/// queue: what was published while it was disconnected is lost (at-most-once).
actor RabbitMQConsumer: MessageConsumer {
    let broker: RabbitMQBroker
    let route: Route
    let tag: String
    private var prefetch: Int
    private var channel: AMQPChannel?
    private var iterator: AsyncThrowingStream<AMQPMessage, any Error>.AsyncIterator?
    private var queueInfo = RabbitMQConnectionKeeper.QueueInfo(hasDeadLetterExchange: false)
    private var cancelled = false

    init(broker: RabbitMQBroker, route: Route, options: ConsumeOptions) {
        self.broker = broker
        self.route = route
        self.prefetch = options.prefetch
        self.tag = options.consumerTag ?? "swift-celery.\(UUID().uuidString.lowercased())"
    }

    /// Opens a channel and starts consuming. Throws ``CeleryError``.
    func subscribe(firstAttempt: Bool) async throws {
        do {
            let connection = try await broker.keeper.current()
            let ch = try await connection.openChannel()
            let stream: AsyncThrowingStream<AMQPMessage, any Error>
            switch route {
            case .queue(let q):
                queueInfo = try await broker.keeper.declareQueue(q)
                try await ch.basicQos(prefetchCount: UInt16(clamping: prefetch))
                stream = try await ch.consume(queue: q, consumerTag: tag)
            case .broadcast(let name):
                try await broker.keeper.declareFanout(name)
                let q = "bcast.\(UUID().uuidString.lowercased())"
                try await ch.queueDeclare(.init(queue: q, exclusive: true, autoDelete: true))
                try await ch.queueBind(queue: q, exchange: name, routingKey: name)
                stream = try await ch.consume(queue: q, consumerTag: tag, noAck: true, exclusive: true)
            }
            channel = ch
            iterator = stream.makeAsyncIterator()
        } catch {
            throw RabbitMQMessageMapping.celeryError(error, "cannot consume \(route) on \(broker.displayURL)")
        }
    }

    func next() async throws -> Delivery? {
        var delay = broker.options.reconnectInitialDelay
        while !cancelled, !Task.isCancelled {
            if iterator == nil {
                do {
                    try await subscribe(firstAttempt: false)
                    broker.logger.notice("RabbitMQ consumer recovered", metadata: ["route": "\(route)", "broker": "\(broker.displayURL)"])
                    delay = broker.options.reconnectInitialDelay
                } catch let e as CeleryError where e.kind == .invalidState {
                    return nil  // broker closed
                } catch {
                    broker.logger.warning(
                        "RabbitMQ consumer cannot resubscribe; retrying",
                        metadata: ["route": "\(route)", "error": "\(error)", "retry_in": "\(delay)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, broker.options.reconnectMaxDelay)
                    continue
                }
            }
            var it = iterator!
            let ch = channel!
            do {
                let m = try await it.next(isolation: self)
                if let m {
                    iterator = it
                    return delivery(m, channel: ch)
                }
                // Finished: cancelled by us, or this task was cancelled (the stream ended).
                iterator = nil
                channel = nil
                if !cancelled { try? await ch.close() }
            } catch {
                guard !cancelled else { return nil }
                broker.logger.warning(
                    "RabbitMQ consumer lost its subscription; recovering",
                    metadata: ["route": "\(route)", "error": "\(error)"])
                iterator = nil
                channel = nil
                try? await ch.close()
            }
        }
        return nil
    }

    private func delivery(_ m: AMQPMessage, channel: AMQPChannel) -> Delivery {
        let message = RabbitMQMessageMapping.message(from: m)
        switch route {
        case .queue(let q):
            let ack = RabbitMQAcknowledger(
                broker: broker, channel: channel, deliveryTag: m.deliveryTag, queue: q,
                hasDeadLetterExchange: queueInfo.hasDeadLetterExchange, message: m)
            return Delivery(
                message: message, route: route, redelivered: m.redelivered,
                deliveryCount: RabbitMQMessageMapping.deliveryCount(m), acknowledger: ack)
        case .broadcast:
            return Delivery(message: message, route: route, acknowledger: nil)
        }
    }

    /// `basic.cancel`, then closes the channel so the server requeues unacknowledged
    /// deliveries (marked redelivered). ``next()`` then returns `nil`.
    func cancel() async {
        guard !cancelled else { return }
        cancelled = true
        broker.forget(self)
        if let ch = channel {
            try? await ch.cancel(consumerTag: tag)
            try? await ch.close()
        }
        channel = nil
    }

    /// Re-issues `basic.qos` with the new limit (at least 1).
    func adjustPrefetch(by delta: Int) async {
        prefetch = max(1, prefetch + delta)
        guard case .queue = route, let ch = channel else { return }
        do {
            try await ch.basicQos(prefetchCount: UInt16(clamping: prefetch))
        } catch {
            broker.logger.warning("basic.qos failed", metadata: ["route": "\(route)", "error": "\(error)"])
        }
    }
}
