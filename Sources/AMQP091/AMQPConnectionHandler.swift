import DequeModule
import Logging
import NIOCore

/// Runs one AMQP connection on its event loop: feeds frames to the connection and channel
/// state machines and performs their actions (writes, promise completions, consumer
/// deliveries, heartbeats). All methods must be called on the channel's event loop.
final class AMQPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = AMQPFrame
    typealias OutboundOut = AMQPFrame
    typealias Reply = AMQPChannelStateMachine.Reply
    typealias Consumer = AsyncThrowingStream<[AMQPMessage], any Error>.Continuation

    /// A consumer's stream and the deliveries of the current read cycle, yielded as one batch
    /// when the cycle ends (`channelReadComplete`).
    struct ConsumerSink {
        let stream: Consumer
        /// Manual acknowledgement (`no-ack` false): deliveries enter the channel's ack window.
        let manual: Bool
        var pending: [AMQPMessage] = []

        mutating func yieldPending() {
            guard !pending.isEmpty else { return }
            stream.yield(pending)
            pending = []
        }

        /// Yields what is pending, then ends the stream.
        func finish(_ error: (any Error)?) {
            if !pending.isEmpty { stream.yield(pending) }
            if let error { stream.finish(throwing: error) } else { stream.finish() }
        }
    }

    struct ChannelRecord {
        var machine: AMQPChannelStateMachine
        var requests: [UInt64: EventLoopPromise<Reply>] = [:]
        var confirms: [UInt64: EventLoopPromise<AMQPPublishResult>] = [:]
        var mandatory: Deque<UInt64> = []
        var returned: [UInt64: AMQPMessage] = [:]
        var consumers: [String: ConsumerSink] = [:]
        /// Unacknowledged deliveries, for coalescing acks.
        var window = AMQPAckWindow()
        /// Acks queued off the loop (nil for channels opened without one, e.g. in tests).
        var acks: AMQPAckQueue?
        /// `basic.get` requests with manual acknowledgement, by request id.
        var manualGets: Set<UInt64> = []
        let closed: EventLoopPromise<Void>

        /// Adds a delivery to its consumer's batch (in place: no copy of the record);
        /// `false` when no such consumer exists.
        mutating func deliver(_ message: AMQPMessage, to tag: String) -> Bool {
            guard let manual = consumers[tag]?.manual else { return false }
            window.delivered(message.deliveryTag, manual: manual)
            consumers[tag]!.pending.append(message)
            return true
        }
    }

    var connection: AMQPConnectionStateMachine
    var channels: [UInt16: ChannelRecord] = [:]
    var context: ChannelHandlerContext?
    let handshake: EventLoopPromise<AMQPConnectionStateMachine.Tuning>
    var tuning: AMQPConnectionStateMachine.Tuning?
    var nextRequestID: UInt64 = 1
    var lastReceived = NIODeadline.now()
    var heartbeatTask: RepeatedTask?
    var heartbeatTicks = 0
    var failure: AMQPError?
    /// A flush is queued on the event loop: writes made until it runs share one syscall.
    var flushScheduled = false
    /// Frames were written and not flushed yet.
    var needsFlush = false
    /// Some consumer holds deliveries of this read cycle.
    var deliveriesPending = false
    let events: AsyncStream<AMQPConnectionEvent>.Continuation
    let endpoint: String
    let logger: Logger

    init(
        connection: AMQPConnectionStateMachine, handshake: EventLoopPromise<AMQPConnectionStateMachine.Tuning>,
        events: AsyncStream<AMQPConnectionEvent>.Continuation, endpoint: String, logger: Logger
    ) {
        self.connection = connection
        self.handshake = handshake
        self.events = events
        self.endpoint = endpoint
        self.logger = logger
    }

    // MARK: Pipeline events

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        var header = context.channel.allocator.buffer(capacity: 8)
        header.writeBytes(AMQPFrame.protocolHeader)
        // The header is not a frame: write it below the frame encoder.
        do {
            let encoder = try context.pipeline.syncOperations.context(handlerType: MessageToByteHandler<AMQPFrameEncoder>.self)
            encoder.writeAndFlush(NIOAny(header), promise: nil)
        } catch {
            fail(AMQPError(.invalidState, "pipeline has no AMQP frame encoder"))
        }
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastReceived = context.eventLoop.now
        if frame.channel == 0 {
            switch frame.payload {
            case .method(let m): perform(connection.receive(m))
            case .heartbeat: break
            default: fail(AMQPError(.protocolViolation, "\(endpoint) sent content on channel 0"))
            }
            return
        }
        guard channels.index(forKey: frame.channel) != nil else {
            // Frames for a channel we already closed (e.g. its close-ok) are ignored.
            return
        }
        let actions: [AMQPChannelStateMachine.Action]
        switch frame.payload {
        case .method(let m): actions = channels[frame.channel]!.machine.receive(m)
        case .header(_, let size, let props): actions = channels[frame.channel]!.machine.receiveHeader(bodySize: size, properties: props)
        case .body(let b): actions = channels[frame.channel]!.machine.receiveBody(b)
        case .heartbeat:
            fail(AMQPError(.protocolViolation, "\(endpoint) sent a heartbeat on channel \(frame.channel)"))
            return
        }
        perform(actions, channel: frame.channel)
    }

    /// The end of a read cycle: every consumer gets this cycle's deliveries as one batch, and
    /// every frame written meanwhile (acks, replies) leaves in one flush.
    func channelReadComplete(context: ChannelHandlerContext) {
        yieldDeliveries()
        flushNow()
        context.fireChannelReadComplete()
    }

    func yieldDeliveries() {
        guard deliveriesPending else { return }
        deliveriesPending = false
        for number in channels.keys {
            for tag in channels[number]!.consumers.keys {
                channels[number]!.consumers[tag]!.yieldPending()
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let e = (error as? AMQPError) ?? AMQPError(.connectionClosed, "connection to \(endpoint) failed: \(error)")
        fail(e)
    }

    func channelInactive(context: ChannelHandlerContext) {
        heartbeatTask?.cancel()
        heartbeatTask = nil
        let opened = tuning != nil
        let error = failure
            ?? (opened
                ? AMQPError(.connectionClosed, "connection to \(endpoint) closed")
                : AMQPError(.accessRefused, "\(endpoint) closed the connection during the handshake (wrong credentials or virtual host?)"))
        handshake.fail(error)
        for number in Array(channels.keys) {
            guard var record = channels[number] else { continue }
            let actions = record.machine.connectionLost(error)
            channels[number] = record
            perform(actions, channel: number)
        }
        let clean = failure == nil && connection.state == .closed
        events.yield(.closed(clean ? nil : error))
        events.finish()
        context.fireChannelInactive()
    }

    // MARK: Requests from the public API

    func openChannel(_ number: UInt16, acks: AMQPAckQueue? = nil) -> EventLoopFuture<Void> {
        guard let context, failure == nil, connection.isOpen else { return closedFuture() }
        let closed = context.eventLoop.makePromise(of: Void.self)
        channels[number] = ChannelRecord(machine: AMQPChannelStateMachine(channel: number), acks: acks, closed: closed)
        return request(number, .channelOpen).map { _ in }
    }

    func channelClosedFuture(_ number: UInt16) -> EventLoopFuture<Void>? { channels[number]?.closed.futureResult }

    func request(_ number: UInt16, _ method: AMQPMethod) -> EventLoopFuture<Reply> {
        guard let context, failure == nil else { return closedFuture() }
        guard channels[number] != nil else {
            return context.eventLoop.makeFailedFuture(AMQPError(.invalidState, "channel \(number) is closed; cannot send \(method.name)"))
        }
        let id = nextRequestID
        nextRequestID += 1
        let promise = context.eventLoop.makePromise(of: Reply.self)
        channels[number]!.requests[id] = promise
        if case .basicGet(_, false) = method { channels[number]!.manualGets.insert(id) }
        perform(channels[number]!.machine.request(id, method), channel: number)
        return promise.futureResult
    }

    /// Sends a method that has no reply (`basic.ack`, `basic.nack`, `basic.reject`).
    func send(_ number: UInt16, _ method: AMQPMethod) -> EventLoopFuture<Void> {
        guard let context, failure == nil else { return closedFuture() }
        guard let record = channels[number], record.machine.isOpen else {
            return context.eventLoop.makeFailedFuture(AMQPError(.invalidState, "channel \(number) is closed; cannot send \(method.name)"))
        }
        switch method {
        case .basicAck(let tag, let multiple), .basicNack(let tag, let multiple, _):
            channels[number]!.window.settled(tag, multiple: multiple)
        case .basicReject(let tag, _):
            channels[number]!.window.settled(tag, multiple: false)
        default: break
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(AMQPFrame(channel: number, payload: .method(method))), promise: promise)
        flushSoon()
        return promise.futureResult
    }

    /// Writes the acks queued on channel `number` since the last drain: one
    /// `basic.ack(multiple: true)` for the run from the oldest outstanding delivery, single
    /// acks for the rest (see ``AMQPAckWindow``). Nothing is written once the channel is
    /// closed (its queue is closed too; the server requeues the deliveries).
    func drainAcks(_ number: UInt16) {
        guard let context, failure == nil, let queue = channels[number]?.acks else { return }
        let tags = queue.take()
        guard channels[number]!.machine.isOpen, !tags.isEmpty else { return }
        for tag in tags { channels[number]!.window.ack(tag) }
        for (tag, multiple) in channels[number]!.window.flush() {
            context.write(wrapOutboundOut(AMQPFrame(channel: number, payload: .method(.basicAck(deliveryTag: tag, multiple: multiple)))), promise: nil)
        }
        flushSoon()
    }

    /// Flushes once the event loop has run what is already queued on it (acks of many tasks,
    /// several publishes), so they leave in one write instead of one syscall each. Inside a
    /// read cycle `channelReadComplete` flushes first and the queued flush finds nothing to do.
    func flushSoon() {
        needsFlush = true
        endOfTickSoon()
    }

    /// Queues one task on the loop that yields pending deliveries and flushes pending writes
    /// (the fallback for work done outside a read cycle).
    func endOfTickSoon() {
        guard let context, !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.execute {
            self.flushScheduled = false
            self.yieldDeliveries()
            self.flushNow()
        }
    }

    func flushNow() {
        guard needsFlush else { return }
        needsFlush = false
        context?.flush()
    }

    func publish(
        _ number: UInt16, exchange: String, routingKey: String, mandatory: Bool, properties: AMQPBasicProperties, body: ByteBuffer
    ) -> EventLoopFuture<AMQPPublishResult> {
        guard let context, failure == nil, let tuning else { return closedFuture() }
        guard channels[number] != nil else {
            return context.eventLoop.makeFailedFuture(AMQPError(.invalidState, "channel \(number) is closed; cannot publish"))
        }
        let seq: UInt64?
        do { seq = try channels[number]!.machine.publish() } catch { return context.eventLoop.makeFailedFuture(error) }
        let method = AMQPFrame(channel: number, payload: .method(.basicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: false)))
        context.write(wrapOutboundOut(method), promise: nil)
        let content = AMQPFrame.contentFrames(channel: number, properties: properties, body: body, frameMax: tuning.frameMax)
        let written = context.eventLoop.makePromise(of: Void.self)
        for (i, f) in content.enumerated() {
            context.write(wrapOutboundOut(f), promise: i == content.count - 1 ? written : nil)
        }
        flushSoon()
        guard let seq else { return written.futureResult.map { AMQPPublishResult(confirmed: false) } }
        let confirmed = context.eventLoop.makePromise(of: AMQPPublishResult.self)
        channels[number]!.confirms[seq] = confirmed
        if mandatory { channels[number]!.mandatory.append(seq) }
        return confirmed.futureResult
    }

    /// Registers a consumer stream before `basic.consume` is sent, so no delivery is missed.
    func consume(_ number: UInt16, _ args: AMQPMethod.Consume, into consumer: Consumer) -> EventLoopFuture<Reply> {
        guard failure == nil, channels[number] != nil else {
            consumer.finish(throwing: failure ?? AMQPError(.invalidState, "channel \(number) is closed; cannot consume"))
            return closedFuture()
        }
        channels[number]!.consumers[args.consumerTag] = ConsumerSink(stream: consumer, manual: !args.noAck)
        return request(number, .basicConsume(args))
    }

    func close() -> EventLoopFuture<Void> {
        guard let context else { return closedFuture() }
        perform(connection.close())
        return context.channel.closeFuture
    }

    func closedFuture<T>() -> EventLoopFuture<T> {
        let error = failure ?? AMQPError(.connectionClosed, "connection to \(endpoint) is closed")
        return handshake.futureResult.eventLoop.makeFailedFuture(error)
    }
}
