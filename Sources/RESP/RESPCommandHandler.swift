import DequeModule
import NIOCore

/// One command on its way to the server, with the promise its reply completes.
public struct RESPCommand: Sendable {
    /// The command (an array of bulk strings).
    public var value: RESPValue
    /// What the command waits for (one reply, or N subscribe confirmations).
    public var expectation: RESPReplyRouter.Expectation
    /// Completed with the reply (an `.error` reply succeeds the promise; callers convert it).
    public var promise: EventLoopPromise<RESPValue>
    /// When the reply is overdue; then the connection is closed with ``RESPError`` (`timeout`).
    public var deadline: NIODeadline?

    /// Creates a command.
    public init(
        _ value: RESPValue, expectation: RESPReplyRouter.Expectation = .reply, deadline: NIODeadline? = nil,
        promise: EventLoopPromise<RESPValue>
    ) {
        self.value = value
        self.expectation = expectation
        self.deadline = deadline
        self.promise = promise
    }
}

/// Writes ``RESPCommand``s and completes their promises in order as replies arrive
/// (pipelining); pub/sub pushes go to `pushes`. The decisions are ``RESPReplyRouter``'s;
/// this handler only loops. Any error fails every in-flight command and closes the channel.
public final class RESPCommandHandler: ChannelDuplexHandler {
    /// Parsed replies.
    public typealias InboundIn = RESPValue
    /// Commands to send.
    public typealias OutboundIn = RESPCommand
    /// Encoded by ``RESPEncoder``.
    public typealias OutboundOut = RESPValue

    private var router = RESPReplyRouter()
    private var promises: Deque<(promise: EventLoopPromise<RESPValue>, deadline: NIODeadline?, verb: String, seq: Int)> = []
    private var sequence = 0
    private var health: RESPHealthCheck?
    private var timerArmed = false
    private let pushes: AsyncStream<RedisPubSubMessage>.Continuation?
    private let peer: String
    private var failure: (any Error)?
    private var flushPending = false

    /// Creates a handler; `pushes` receives pub/sub messages and confirmations; `peer`
    /// (`host:port`) names the server in errors. With a `healthCheckInterval` (default none)
    /// a silent connection is found within twice the interval (see ``RESPHealthCheck``).
    public init(pushes: AsyncStream<RedisPubSubMessage>.Continuation?, peer: String, healthCheckInterval: Duration? = nil) {
        self.pushes = pushes
        self.peer = peer
        self.health = healthCheckInterval.map { RESPHealthCheck(interval: $0) }
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHealthCheck(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        startHealthCheck(context: context)
        context.fireChannelActive()
    }

    private func startHealthCheck(context: ChannelHandlerContext) {
        guard let h = health, !h.started else { return }
        health?.started = true
        scheduleHealthTick(context: context, after: h.tickPeriod)
    }

    private func scheduleHealthTick(context: ChannelHandlerContext, after interval: Duration) {
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(interval.nanoseconds)) { [self] in
            guard self.failure == nil, context.channel.isActive, var h = self.health else { return }
            let head = self.promises.first.map { (seq: $0.seq, blocking: RESPHealthCheck.blockingVerbs.contains($0.verb.uppercased())) }
            let decision = h.tick(oldestInFlight: head)
            self.health = h
            switch decision {
            case .nothing:
                break
            case .ping:
                let ping = RESPCommand(
                    .array(["PING"]), deadline: .now() + .nanoseconds(h.interval.nanoseconds),
                    promise: context.eventLoop.makePromise(of: RESPValue.self))
                ping.promise.futureResult.whenFailure { _ in }
                self.enqueue(context: context, ping, promise: nil)
                self.health?.pinged(seq: self.sequence)
                context.flush()
            case .fail:
                self.fail(context: context, RESPError(
                    .timeout, "no reply from \(self.peer) within the health check (interval \(h.interval)) while a command waited; connection closed"))
                return
            }
            self.scheduleHealthTick(context: context, after: interval)
        }
    }

    /// Records the command's expectation and promise, then writes it (fails it at once after an error).
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        enqueue(context: context, unwrapOutboundIn(data), promise: promise)
    }

    private func enqueue(context: ChannelHandlerContext, _ command: RESPCommand, promise: EventLoopPromise<Void>?) {
        if let failure {
            command.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        router.sent(command.expectation)
        let verb = command.value.array?.first?.string ?? "?"
        sequence &+= 1
        promises.append((command.promise, command.deadline, verb, sequence))
        if let d = command.deadline, !timerArmed { arm(context: context, at: d) }
        context.write(wrapOutboundOut(command.value), promise: promise)
    }

    /// Consolidates flushes: the first flush of a burst is deferred to the end of the event
    /// loop's current batch of tasks, so commands written by many concurrent callers (each
    /// a `writeAndFlush` hopping onto the loop) leave in one `write` system call.
    public func flush(context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        context.eventLoop.assumeIsolated().execute {
            self.flushPending = false
            context.flush()
        }
    }

    /// One timer per connection (not per command): when it fires, an overdue command closes
    /// the connection; otherwise it is re-armed for the earliest remaining deadline.
    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timerArmed = true
        context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timerArmed = false
            let now = NIODeadline.now()
            if let overdue = self.promises.first(where: { ($0.deadline ?? .distantFuture) <= now }) {
                self.fail(context: context, RESPError(.timeout, "no reply to \(overdue.verb) from \(self.peer) in time; connection closed"))
            } else if let next = self.promises.compactMap(\.deadline).min() {
                self.arm(context: context, at: next)
            }
        }
    }

    /// Routes one reply: completes the oldest command or pushes a pub/sub message.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        health?.read()
        switch router.received(unwrapInboundIn(data)) {
        case .complete(let v):
            promises.removeFirst().promise.succeed(v)
        case .push(let m):
            if let pushes { RedisPushBuffer.record(pushes.yield(m)) }
        case .pushAndComplete(let m, let v):
            if let pushes { RedisPushBuffer.record(pushes.yield(m)) }
            promises.removeFirst().promise.succeed(v)
        case .unexpected(let v):
            fail(context: context, RESPError(.protocolViolation, "unexpected reply from \(peer) with no command in flight: \(v)"))
        }
    }

    /// Fails every in-flight command with the error and closes the connection.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    /// Fails every in-flight command (connection closed) and finishes the push stream.
    public func channelInactive(context: ChannelHandlerContext) {
        failAll(failure ?? RESPError(.connection, "connection to \(peer) closed"))
        pushes?.finish()
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        if failure == nil { failure = error }
        while let p = promises.popFirst() { p.promise.fail(error) }
    }
}

@available(*, unavailable)
extension RESPCommandHandler: Sendable {}
