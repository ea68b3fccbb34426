import AMQP091
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// A subscription on its own channel. Queue mode: `basic.qos` = prefetch with
/// `global=true` (RabbitMQ reads that as a per-channel limit, which — unlike the
/// per-consumer limit — can be changed while the consumer runs; one consumer per channel
/// makes the two equivalent, and kombu does the same), manual acks.
/// Broadcast mode: an exclusive auto-delete queue `bcast.<uuid>` bound to the fanout
/// exchange, no acks.
///
/// Deliveries are pumped from the channel into a buffer (bounded by the prefetch in queue
/// mode), one batch per read cycle of the connection, so cancelling a waiting ``next()``
/// never loses or strands a message.
///
/// When the channel or connection fails, the deliveries still in the buffer are dropped at
/// once: their acks can no longer be sent, and the server has already requeued them, so
/// handing them out would only run them twice.
///
/// Recovery: when the channel or connection fails, ``next()`` reconnects with exponential
/// backoff (``RabbitMQOptions/reconnectInitialDelay`` … ``RabbitMQOptions/reconnectMaxDelay``),
/// declares the exchange, queue, bindings and dead-letter topology again and re-issues
/// `basic.qos` and `basic.consume`. Deliveries received before the failure cannot be
/// settled any more (their acks throw `invalidState`); the server has already requeued
/// them and delivers them again, marked redelivered. A broadcast subscriber gets a new
/// queue: what was published while it was disconnected is lost (at-most-once).
///
/// A `basic.cancel` from the server (queue deleted…) leaves the channel open: after the
/// backoff the queue is declared again and consumed with a new tag on the same channel, so
/// held deliveries stay ackable. On quorum queues an ETA task at least 1 s early is sent
/// through native delayed delivery and acked instead of handed out (``RabbitMQDelayedDelivery``).
actor RabbitMQConsumer: MessageConsumer {
    let broker: RabbitMQBroker
    let route: Route
    let baseTag: String
    private var tag: String
    private var tagCount = 0
    private var prefetch: Int
    private var channel: AMQPChannel?
    private var queueInfo = RabbitMQConnectionKeeper.QueueInfo(hasDeadLetterExchange: false)
    /// Deliveries not handed out yet, from `head` on (at most the prefetch); compacted when half read.
    private var buffer: [(AMQPMessage, AMQPChannel)] = []
    private var head = 0
    /// Callers of ``next()`` waiting (any number; each re-checks when woken).
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Bumped per subscription so a stale pump's end is ignored.
    private var generation = 0
    private var subscribed = false
    private var lastError: (any Error)?
    private var stopped = false
    private var cancelled = false
    /// The server sent `basic.cancel` (queue deleted, leader moved): the channel lives on.
    private var serverCancelled = false

    init(broker: RabbitMQBroker, route: Route, options: ConsumeOptions) {
        self.broker = broker
        self.route = route
        self.prefetch = options.prefetch
        self.baseTag = options.consumerTag ?? "swift-celery.\(UUID().uuidString.lowercased())"
        self.tag = baseTag
    }

    /// Opens a channel and starts consuming. Throws ``CeleryError``.
    func subscribe(firstAttempt: Bool) async throws {
        do {
            let connection = try await broker.keeper.current()
            let ch = try await connection.openChannel()
            let stream: AsyncThrowingStream<[AMQPMessage], any Error>
            switch route {
            case .queue(let q):
                queueInfo = try await broker.keeper.declareQueue(q)
                try await ch.basicQos(prefetchCount: UInt16(clamping: prefetch), global: perChannelQos)
                stream = try await ch.consumeBatches(queue: q, consumerTag: tag)
            case .broadcast(let name):
                try await broker.keeper.declareFanout(name)
                let q = "bcast.\(UUID().uuidString.lowercased())"
                try await ch.queueDeclare(
                    .init(queue: q, exclusive: true, autoDelete: true, arguments: RabbitMQControlQueues.broadcastQueueArguments(exchange: name)))
                // A topic broadcast (celeryev) is bound with `#`: every routing key, as Celery's event receiver.
                try await ch.queueBind(queue: q, exchange: name, routingKey: broker.options.topicExchanges.contains(name) ? "#" : name)
                stream = try await ch.consumeBatches(queue: q, consumerTag: tag, noAck: true, exclusive: true)
            }
            channel = ch
            startPump(stream, ch)
        } catch {
            throw RabbitMQMessageMapping.celeryError(error, "cannot consume \(route) on \(broker.displayURL)")
        }
    }

    /// Quorum queues refuse `global` qos (540, which closes the connection): they get the
    /// per-consumer limit, changed by re-subscribing (see ``adjustPrefetch(by:)``).
    private var perChannelQos: Bool { broker.options.queueType != .quorum }

    private func startPump(_ stream: AsyncThrowingStream<[AMQPMessage], any Error>, _ ch: AMQPChannel) {
        generation += 1
        let gen = generation
        subscribed = true
        Task { [self] in
            do {
                for try await batch in stream { self.push(batch, ch) }
                self.ended(gen, nil, ch)
            } catch {
                self.ended(gen, error, ch)
            }
        }
    }

    private func push(_ batch: [AMQPMessage], _ ch: AMQPChannel) {
        buffer.append(contentsOf: batch.lazy.map { ($0, ch) })
        wake()
    }

    private func ended(_ gen: Int, _ error: (any Error)?, _ ch: AMQPChannel) {
        if let e = error as? AMQPError, e.kind == .consumerCancelled, case .queue = route {
            // The channel is still open: held and buffered deliveries stay ackable on it (a
            // stale consumer's cancel, after a prefetch change, shares the channel: nothing to do).
            guard gen == generation else { return }
            subscribed = false
            serverCancelled = true
            lastError = error
            wake()
            return
        }
        if error != nil, case .queue = route {
            // Unackable now; the server requeued them with the channel.
            buffer.removeFirst(head)
            head = 0
            let before = buffer.count
            buffer.removeAll { $0.1 === ch }
            if buffer.count < before {
                broker.logger.notice(
                    "dropped deliveries of a lost channel; the server redelivers them",
                    metadata: ["route": "\(route)", "count": "\(before - buffer.count)"])
            }
        }
        guard gen == generation else { return }
        subscribed = false
        // A normal end is our own basic.cancel: the channel lives on (held deliveries stay
        // ackable until cancel() closes it). An error means the channel is gone.
        if error != nil { channel = nil }
        lastError = error
        wake()
    }

    private func wake() {
        guard !waiters.isEmpty else { return }
        let waiting = waiters
        waiters.removeAll()
        for w in waiting { w.resume() }
    }

    func next() async throws -> Delivery? {
        var delay = broker.options.reconnectInitialDelay
        while !cancelled, !stopped, !Task.isCancelled {
            if head < buffer.count {
                let (m, ch) = buffer[head]
                head += 1
                if head == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    head = 0
                } else if head >= 1024, head * 2 >= buffer.count {
                    buffer.removeFirst(head)
                    head = 0
                }
                let d = delivery(m, channel: ch)
                if broker.options.usesDelayedDelivery, case .queue(let q) = route, let delay = RabbitMQDelayedDelivery.delay(of: d.message),
                    await RabbitMQDelayedDelivery.resend(m, ch, broker: broker, queue: q, delay: delay)
                {
                    continue
                }
                return d
            }
            if !subscribed, serverCancelled, case .queue(let q) = route, let ch = channel {
                serverCancelled = false
                broker.logger.warning("RabbitMQ server cancelled the consumer; consuming again", metadata: ["route": "\(route)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                if await reconsume(q, on: ch) {
                    delay = broker.options.reconnectInitialDelay
                } else {
                    delay = min(delay * 2, broker.options.reconnectMaxDelay)
                }
                continue
            }
            if !subscribed {
                if let e = lastError {
                    broker.logger.warning("RabbitMQ consumer lost its subscription; recovering", metadata: ["route": "\(route)", "error": "\(e)"])
                    lastError = nil
                }
                do {
                    try await subscribe(firstAttempt: false)
                    broker.logger.notice("RabbitMQ consumer resubscribed", metadata: ["route": "\(route)", "broker": "\(broker.displayURL)"])
                    delay = broker.options.reconnectInitialDelay
                } catch let e as CeleryError where e.kind == .invalidState {
                    return nil  // broker closed
                } catch {
                    broker.logger.warning(
                        "RabbitMQ consumer cannot resubscribe; retrying",
                        metadata: ["route": "\(route)", "error": "\(error)", "retry_in": "\(delay)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, broker.options.reconnectMaxDelay)
                }
                continue
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { waiters.append($0) }
            } onCancel: {
                Task { await self.wake() }
            }
        }
        return nil
    }

    /// After a server `basic.cancel`: declares the queue again (it may have been deleted) and
    /// consumes on the same channel with a new tag. On failure the channel is closed (the
    /// server requeues what it held) and the next round subscribes on a new one.
    private func reconsume(_ q: String, on ch: AMQPChannel) async -> Bool {
        guard !cancelled, !stopped else { return false }
        do {
            await broker.keeper.forgetQueue(q)
            queueInfo = try await broker.keeper.declareQueue(q)
            try await ch.basicQos(prefetchCount: UInt16(clamping: prefetch), global: perChannelQos)
            tagCount += 1
            let newTag = "\(baseTag).\(tagCount)"
            let stream = try await ch.consumeBatches(queue: q, consumerTag: newTag)
            tag = newTag
            startPump(stream, ch)
            broker.logger.notice("RabbitMQ consumer consuming again after a server cancel", metadata: ["route": "\(route)", "broker": "\(broker.displayURL)"])
            return true
        } catch {
            broker.logger.warning("RabbitMQ consumer cannot consume again on its channel; opening a new one", metadata: ["route": "\(route)", "error": "\(error)"])
            buffer.removeFirst(head)
            head = 0
            buffer.removeAll { $0.1 === ch }
            if channel === ch { channel = nil }
            try? await ch.close()
            return false
        }
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

    /// `basic.cancel` only: no new deliveries; held ones can still be settled. A waiting
    /// ``next()`` returns `nil`.
    func stopDeliveries() async {
        guard !stopped else { return }
        stopped = true
        wake()
        if let ch = channel { try? await ch.cancel(consumerTag: tag) }
    }

    /// `basic.cancel`, then closes the channel so the server requeues unacknowledged
    /// deliveries (marked redelivered). ``next()`` then returns `nil`.
    func cancel() async {
        guard !cancelled else { return }
        cancelled = true
        wake()
        broker.forget(self)
        generation += 1
        buffer.removeAll()
        head = 0
        if let ch = channel {
            if !stopped { try? await ch.cancel(consumerTag: tag) }
            try? await ch.close()
        }
        channel = nil
    }

    /// Changes the prefetch limit (at least 1). Classic queues: re-issues `basic.qos` (the
    /// per-channel limit applies at once). Quorum queues: sets the per-consumer limit and
    /// re-subscribes on the same channel with a new consumer tag, then cancels the old
    /// consumer; deliveries held from the old consumer stay ackable but no longer count
    /// toward the new limit.
    func adjustPrefetch(by delta: Int) async {
        prefetch = max(1, prefetch + delta)
        guard case .queue(let q) = route, let ch = channel, subscribed, !stopped, !cancelled else { return }
        do {
            try await ch.basicQos(prefetchCount: UInt16(clamping: prefetch), global: perChannelQos)
            guard !perChannelQos else { return }
            tagCount += 1
            let newTag = "\(baseTag).\(tagCount)"
            let stream = try await ch.consumeBatches(queue: q, consumerTag: newTag)
            let oldTag = tag
            tag = newTag
            startPump(stream, ch)
            try await ch.cancel(consumerTag: oldTag)
        } catch {
            broker.logger.warning("changing the prefetch failed", metadata: ["route": "\(route)", "error": "\(error)"])
        }
    }
}
