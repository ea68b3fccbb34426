import DequeModule
import NIOCore

/// The protocol state of one AMQP channel, as a pure value: synchronous methods are sent
/// one at a time (the next waits for the previous reply), content frames are assembled
/// into messages, publisher-confirm sequence numbers are tracked. Each input returns the
/// ``Action``s the connection handler must perform. No I/O, no clocks.
public struct AMQPChannelStateMachine: Sendable {
    /// Identifies a caller waiting for a reply (the handler maps it to a promise).
    public typealias RequestID = UInt64

    /// What the handler must do.
    public enum Action: Sendable, Hashable {
        /// Write this method on the channel.
        case send(AMQPMethod)
        /// The request got its reply (for `basic.get`: ``Reply/message(_:)`` or ``Reply/empty``).
        case complete(RequestID, Reply)
        /// The request failed.
        case fail(RequestID, AMQPError)
        /// Hand a delivered message to the consumer with this tag.
        case deliver(consumerTag: String, AMQPMessage)
        /// A mandatory message came back unroutable.
        case returned(AMQPMessage)
        /// Publishes up to and including these sequence numbers are settled (`acked` false = nacked).
        case confirm([UInt64], acked: Bool)
        /// The server cancelled a consumer (queue deleted, node down…).
        case consumerCancelled(String)
        /// The channel is closed: fail everything still waiting with this error
        /// (unconfirmed publishes — never reported as confirmed —, consumers).
        /// `nil` = closed cleanly by us.
        case closed(AMQPError?)
    }

    /// A reply to a request.
    public enum Reply: Sendable, Hashable {
        /// The reply method.
        case method(AMQPMethod)
        /// `basic.get-ok` with its content.
        case message(AMQPMessage)
        /// `basic.get-empty`.
        case empty
    }

    enum State: Sendable, Hashable { case open, closing, closed }

    enum Content: Sendable, Hashable {
        case idle
        case awaitingHeader(AMQPMethod)
        case awaitingBody(AMQPMethod, AMQPBasicProperties, remaining: UInt64, body: [UInt8])
    }

    /// The channel number (for error messages).
    public let channel: UInt16
    var state: State = .open
    var content: Content = .idle
    /// Requests not yet answered; the first is on the wire.
    var pending: Deque<(id: RequestID, method: AMQPMethod)> = []
    /// Whether `confirm.select` was sent.
    public private(set) var confirmMode = false
    /// Sequence number the next publish gets (1-based, only counted in confirm mode).
    public private(set) var nextPublishSeq: UInt64 = 1
    /// Publishes awaiting `basic.ack`/`basic.nack`, in order.
    public private(set) var unconfirmed: Deque<UInt64> = []

    /// A channel that is open (its `channel.open-ok` arrived).
    public init(channel: UInt16) {
        self.channel = channel
    }

    /// Whether requests are still accepted.
    public var isOpen: Bool { state == .open }

    /// Queues a synchronous request; sends it now if nothing is in flight.
    public mutating func request(_ id: RequestID, _ method: AMQPMethod) -> [Action] {
        guard state == .open else {
            return [.fail(id, AMQPError(.invalidState, "channel \(channel) is closed; cannot send \(method.name)"))]
        }
        if case .confirmSelect = method { confirmMode = true }
        if case .channelClose = method { state = .closing }
        pending.append((id, method))
        return pending.count == 1 ? [.send(method)] : []
    }

    /// Records a publish; returns its confirm sequence number (`nil` without confirm mode).
    public mutating func publish() throws -> UInt64? {
        guard state == .open else { throw AMQPError(.invalidState, "channel \(channel) is closed; cannot publish") }
        guard confirmMode else { return nil }
        let seq = nextPublishSeq
        nextPublishSeq += 1
        unconfirmed.append(seq)
        return seq
    }

    /// Handles a method frame from the server.
    public mutating func receive(_ method: AMQPMethod) -> [Action] {
        guard case .idle = content else {
            return protocolError("\(method.name) arrived while a message's content was incomplete")
        }
        switch method {
        case .basicDeliver, .basicReturn, .basicGetOk:
            content = .awaitingHeader(method)
            return []
        case .basicAck(let tag, let multiple):
            return [.confirm(settle(tag, multiple), acked: true)]
        case .basicNack(let tag, let multiple, _):
            return [.confirm(settle(tag, multiple), acked: false)]
        case .basicCancel(let tag, _):
            return [.consumerCancelled(tag)]
        case .channelClose(let close):
            let error = AMQPError.closed(by: close, connection: false, context: "channel \(channel)")
            return [.send(.channelCloseOk)] + closeAll(error)
        case .channelFlow(let active):
            return [.send(.channelFlowOk(active: active))]
        case .basicGetEmpty:
            return answer(method, .empty)
        default:
            return answer(method, .method(method))
        }
    }

    /// Handles a content header frame.
    public mutating func receiveHeader(bodySize: UInt64, properties: AMQPBasicProperties) -> [Action] {
        guard case .awaitingHeader(let method) = content else {
            return protocolError("unexpected content header")
        }
        content = .awaitingBody(method, properties, remaining: bodySize, body: [])
        return bodySize == 0 ? finishContent() : []
    }

    /// Handles a content body frame.
    public mutating func receiveBody(_ bytes: ByteBuffer) -> [Action] {
        guard case .awaitingBody(let method, let props, let remaining, var body) = content else {
            return protocolError("unexpected content body frame")
        }
        guard UInt64(bytes.readableBytes) <= remaining else {
            return protocolError("content body longer than its header announced")
        }
        content = .idle  // avoid a copy-on-write of `body`
        body.append(contentsOf: bytes.readableBytesView)
        content = .awaitingBody(method, props, remaining: remaining - UInt64(bytes.readableBytes), body: body)
        return remaining == UInt64(bytes.readableBytes) ? finishContent() : []
    }

    /// The connection is gone: everything fails with `error`.
    public mutating func connectionLost(_ error: AMQPError) -> [Action] {
        guard state != .closed else { return [] }
        return closeAll(error)
    }

    // MARK: Internals

    private mutating func finishContent() -> [Action] {
        guard case .awaitingBody(let method, let props, _, let body) = content else { return [] }
        content = .idle
        switch method {
        case .basicDeliver(let tag, let dt, let redelivered, let ex, let rk):
            let m = AMQPMessage(deliveryTag: dt, redelivered: redelivered, exchange: ex, routingKey: rk, consumerTag: tag, properties: props, body: body)
            return [.deliver(consumerTag: tag, m)]
        case .basicReturn(let code, let text, let ex, let rk):
            let m = AMQPMessage(exchange: ex, routingKey: rk, returnReplyCode: code, returnReplyText: text, properties: props, body: body)
            return [.returned(m)]
        case .basicGetOk(let dt, let redelivered, let ex, let rk, let count):
            let m = AMQPMessage(deliveryTag: dt, redelivered: redelivered, exchange: ex, routingKey: rk, messageCount: count, properties: props, body: body)
            return answer(method, .message(m))
        default:
            return []
        }
    }

    /// Completes the request in flight with `reply` and sends the next one.
    private mutating func answer(_ method: AMQPMethod, _ reply: Reply) -> [Action] {
        guard let head = pending.first, Self.expects(head.method, reply: method) else {
            return protocolError("unexpected \(method.name)" + (pending.first.map { " while waiting for the reply to \($0.method.name)" } ?? ""))
        }
        pending.removeFirst()
        var actions: [Action] = [.complete(head.id, reply)]
        if case .channelCloseOk = method {
            actions += closeAll(nil)
        } else if let next = pending.first {
            actions.append(.send(next.method))
        }
        return actions
    }

    private mutating func settle(_ tag: UInt64, _ multiple: Bool) -> [UInt64] {
        var settled: [UInt64] = []
        if multiple {
            while let first = unconfirmed.first, first <= tag { settled.append(unconfirmed.removeFirst()) }
        } else if let i = unconfirmed.firstIndex(of: tag) {
            unconfirmed.remove(at: i)
            settled.append(tag)
        }
        return settled
    }

    private mutating func closeAll(_ error: AMQPError?) -> [Action] {
        state = .closed
        content = .idle
        let failure = error ?? AMQPError(.invalidState, "channel \(channel) was closed")
        var actions = pending.map { Action.fail($0.id, failure) }
        pending.removeAll()
        unconfirmed.removeAll()
        actions.append(.closed(error))
        return actions
    }

    private mutating func protocolError(_ text: String) -> [Action] {
        let error = AMQPError(.protocolViolation, "channel \(channel): \(text)")
        return [.send(.channelClose(.init(replyCode: 505, replyText: "UNEXPECTED_FRAME")))] + closeAll(error)
    }

    /// Whether `reply` answers `request`.
    static func expects(_ request: AMQPMethod, reply: AMQPMethod) -> Bool {
        switch (request, reply) {
        case (.channelOpen, .channelOpenOk), (.channelClose, .channelCloseOk), (.exchangeDeclare, .exchangeDeclareOk),
            (.exchangeDelete, .exchangeDeleteOk), (.exchangeBind, .exchangeBindOk), (.queueDeclare, .queueDeclareOk), (.queueBind, .queueBindOk),
            (.queuePurge, .queuePurgeOk), (.queueDelete, .queueDeleteOk), (.basicQos, .basicQosOk),
            (.basicConsume, .basicConsumeOk), (.basicCancel, .basicCancelOk), (.basicGet, .basicGetOk),
            (.basicGet, .basicGetEmpty), (.basicRecover, .basicRecoverOk), (.confirmSelect, .confirmSelectOk),
            (.channelFlow, .channelFlowOk):
            return true
        default:
            return false
        }
    }
}
