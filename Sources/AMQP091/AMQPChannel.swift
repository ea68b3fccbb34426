import NIOCore

/// One channel of an ``AMQPConnection``. Synchronous methods run one at a time per channel
/// (a call waits for the previous reply). A server-side error (`channel.close`, e.g.
/// `404 NOT_FOUND`) closes the channel and throws ``AMQPError`` with the reply code;
/// later calls throw `invalidState`.
public final class AMQPChannel: Sendable {
    /// The connection carrying this channel.
    public let connection: AMQPConnection
    /// The channel number (1…channel-max).
    public let number: UInt16
    let acks: AMQPAckQueue

    init(connection: AMQPConnection, number: UInt16, acks: AMQPAckQueue) {
        self.connection = connection
        self.number = number
        self.acks = acks
    }

    @discardableResult
    func call(_ method: AMQPMethod) async throws -> AMQPChannelStateMachine.Reply {
        let handler = connection.handler, n = number
        return try await connection.eventLoop.flatSubmit { handler.value.request(n, method) }.get()
    }

    func send(_ method: AMQPMethod) async throws {
        let handler = connection.handler, n = number
        try await connection.eventLoop.flatSubmit { handler.value.send(n, method) }.get()
    }

    /// `exchange.declare`. Redeclaring with other properties fails with 406 PRECONDITION_FAILED.
    public func exchangeDeclare(_ args: AMQPMethod.ExchangeDeclare) async throws {
        try await call(.exchangeDeclare(args))
    }

    /// `exchange.declare` with the common flags.
    public func exchangeDeclare(
        _ name: String, type: String, durable: Bool = true, autoDelete: Bool = false, arguments: AMQPTable = [:]
    ) async throws {
        try await exchangeDeclare(.init(exchange: name, type: type, durable: durable, autoDelete: autoDelete, arguments: arguments))
    }

    /// `exchange.delete`.
    public func exchangeDelete(_ name: String, ifUnused: Bool = false) async throws {
        try await call(.exchangeDelete(exchange: name, ifUnused: ifUnused, noWait: false))
    }

    /// `exchange.bind` (RabbitMQ's exchange-to-exchange binding): what `source` routes with a
    /// key matching `routingKey` also goes through `destination`.
    public func exchangeBind(destination: String, source: String, routingKey: String, arguments: AMQPTable = [:]) async throws {
        try await call(.exchangeBind(destination: destination, source: source, routingKey: routingKey, noWait: false, arguments: arguments))
    }

    /// `queue.declare`; returns the queue name (server-generated when `args.queue` is empty)
    /// and its ready-message and consumer counts.
    @discardableResult
    public func queueDeclare(_ args: AMQPMethod.QueueDeclare) async throws -> (queue: String, messageCount: UInt32, consumerCount: UInt32) {
        guard case .method(.queueDeclareOk(let q, let m, let c)) = try await call(.queueDeclare(args)) else {
            throw AMQPError(.protocolViolation, "queue.declare got an unexpected reply")
        }
        return (q, m, c)
    }

    /// `queue.bind`.
    public func queueBind(queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) async throws {
        try await call(.queueBind(queue: queue, exchange: exchange, routingKey: routingKey, noWait: false, arguments: arguments))
    }

    /// `queue.purge`; returns how many ready messages were removed.
    @discardableResult
    public func queuePurge(_ queue: String) async throws -> UInt32 {
        guard case .method(.queuePurgeOk(let n)) = try await call(.queuePurge(queue: queue, noWait: false)) else {
            throw AMQPError(.protocolViolation, "queue.purge got an unexpected reply")
        }
        return n
    }

    /// `queue.delete`; returns how many messages were deleted with it.
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> UInt32 {
        guard case .method(.queueDeleteOk(let n)) = try await call(.queueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty, noWait: false)) else {
            throw AMQPError(.protocolViolation, "queue.delete got an unexpected reply")
        }
        return n
    }

    /// `basic.qos`: at most `prefetchCount` unacknowledged deliveries per consumer on this
    /// channel (0 = unlimited). May be re-issued at any time to change the limit.
    public func basicQos(prefetchCount: UInt16, global: Bool = false) async throws {
        try await call(.basicQos(prefetchSize: 0, prefetchCount: prefetchCount, global: global))
    }

    /// `confirm.select`: from now on every publish waits for the server's ack or nack.
    public func confirmSelect() async throws {
        try await call(.confirmSelect(noWait: false))
    }

    /// `basic.publish` with content split into frames of the negotiated size. In confirm
    /// mode it returns once the server acks (a nack throws `nacked`; a channel or connection
    /// lost first throws, never reports success). With `mandatory`, an unroutable message
    /// comes back in ``AMQPPublishResult/returned``.
    @discardableResult
    public func publish(
        exchange: String, routingKey: String, mandatory: Bool = false, properties: AMQPBasicProperties = .init(), body: [UInt8]
    ) async throws -> AMQPPublishResult {
        let handler = connection.handler, n = number
        let buffer = ByteBuffer(bytes: body)
        return try await connection.eventLoop.flatSubmit {
            handler.value.publish(n, exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: buffer)
        }.get()
    }

    /// Publishes several messages in order in one hop to the event loop (one flush), then
    /// waits for every confirm (in confirm mode); results are in publish order.
    public func publish(
        batch: [(exchange: String, routingKey: String, properties: AMQPBasicProperties, body: [UInt8])], mandatory: Bool = false
    ) async throws -> [AMQPPublishResult] {
        guard !batch.isEmpty else { return [] }
        let handler = connection.handler, n = number
        let loop = connection.eventLoop
        let items = batch.map { ($0.exchange, $0.routingKey, $0.properties, ByteBuffer(bytes: $0.body)) }
        let futures = try await loop.submit {
            // One flush for the whole batch: the handler queues it to run after this closure.
            items.map { handler.value.publish(n, exchange: $0.0, routingKey: $0.1, mandatory: mandatory, properties: $0.2, body: $0.3) }
        }.get()
        var out: [AMQPPublishResult] = []
        out.reserveCapacity(futures.count)
        for f in futures { out.append(try await f.get()) }
        return out
    }

    /// `basic.consume` with manual acknowledgements unless `noAck`. Deliveries arrive on the
    /// returned stream; it finishes after ``cancel(consumerTag:)`` and throws when the
    /// channel or connection fails or the server cancels the consumer. (One element per
    /// delivery; ``consumeBatches(queue:consumerTag:noAck:exclusive:arguments:)`` costs one
    /// stream element per read cycle instead.)
    public func consume(
        queue: String, consumerTag: String, noAck: Bool = false, exclusive: Bool = false, arguments: AMQPTable = [:]
    ) async throws -> AsyncThrowingStream<AMQPMessage, any Error> {
        let batches = try await consumeBatches(queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive, arguments: arguments)
        let (stream, continuation) = AsyncThrowingStream<AMQPMessage, any Error>.makeStream()
        let pump = Task {
            do {
                for try await batch in batches { for m in batch { continuation.yield(m) } }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return stream
    }

    /// `basic.consume`, delivering in batches: every delivery decoded in one read cycle of
    /// the connection arrives as one array, in order. Same ending rules as
    /// ``consume(queue:consumerTag:noAck:exclusive:arguments:)``.
    public func consumeBatches(
        queue: String, consumerTag: String, noAck: Bool = false, exclusive: Bool = false, arguments: AMQPTable = [:]
    ) async throws -> AsyncThrowingStream<[AMQPMessage], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[AMQPMessage], any Error>.makeStream()
        let handler = connection.handler, n = number
        let args = AMQPMethod.Consume(queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive, arguments: arguments)
        _ = try await connection.eventLoop.flatSubmit { handler.value.consume(n, args, into: continuation) }.get()
        return stream
    }

    /// `basic.cancel`: the server stops delivering; unacknowledged messages stay with this
    /// channel until acked, rejected, or the channel closes (then they are requeued).
    public func cancel(consumerTag: String) async throws {
        try await call(.basicCancel(consumerTag: consumerTag, noWait: false))
    }

    /// `basic.get`: one message or `nil` when the queue is empty.
    public func get(queue: String, noAck: Bool = false) async throws -> AMQPMessage? {
        switch try await call(.basicGet(queue: queue, noAck: noAck)) {
        case .message(let m): return m
        case .empty: return nil
        case .method(let m): throw AMQPError(.protocolViolation, "basic.get got unexpected \(m.name)")
        }
    }

    /// `basic.ack` (with `multiple`, every delivery up to and including the tag).
    ///
    /// A single ack returns once queued: the acks queued on this channel before the event
    /// loop next runs leave together, as one `basic.ack(multiple: true)` where they form a
    /// run from the oldest unacknowledged delivery (see ``AMQPAckWindow``), in the loop's
    /// one flush. It throws at once (`invalidState` or `connectionClosed`) when the channel
    /// is already closed; an ack queued just before the connection drops is lost with it,
    /// and the server requeues that delivery (marked redelivered), as for any unacked one.
    public func ack(deliveryTag: UInt64, multiple: Bool = false) async throws {
        if multiple {
            try await send(.basicAck(deliveryTag: deliveryTag, multiple: true))
            return
        }
        guard connection.isOpen else {
            acks.close(AMQPError(.connectionClosed, "connection to \(connection.configuration.endpoint) is closed; cannot acknowledge delivery \(deliveryTag) (the server requeues it)"))
            throw AMQPError(.connectionClosed, "connection to \(connection.configuration.endpoint) is closed; cannot acknowledge delivery \(deliveryTag) (the server requeues it)")
        }
        if try acks.add(deliveryTag) {
            let handler = connection.handler, n = number
            connection.eventLoop.execute { handler.value.drainAcks(n) }
        }
    }

    /// `basic.nack`: reject one (or, with `multiple`, all up to the tag) delivery; requeued
    /// when `requeue`, otherwise dead-lettered or dropped.
    public func nack(deliveryTag: UInt64, multiple: Bool = false, requeue: Bool) async throws {
        try await send(.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue))
    }

    /// `basic.reject`: reject one delivery; requeued when `requeue`, otherwise dead-lettered or dropped.
    public func reject(deliveryTag: UInt64, requeue: Bool) async throws {
        try await send(.basicReject(deliveryTag: deliveryTag, requeue: requeue))
    }

    /// `channel.close` 200: consumers finish and unacknowledged deliveries return to their
    /// queues (marked redelivered). Closing a closed channel does nothing.
    public func close() async throws {
        // Acks after this point throw at once (the handler closes the queue too, on the loop).
        defer { acks.close(AMQPError(.invalidState, "channel \(number) is closed; cannot acknowledge (the server requeues its unacknowledged deliveries)")) }
        do {
            try await call(.channelClose(.init(replyCode: 200, replyText: "Goodbye")))
        } catch let e as AMQPError where e.kind == .invalidState {
            return
        }
    }
}
