/// A message transport: publish to a ``Route`` and consume from it.
///
/// Kept small on purpose (Dramatiq's lesson): retries, time limits and results live in the
/// worker, not here. Implementations: `InMemoryBroker` (`memory://`), `RedisBroker`
/// (`redis://`), `RabbitMQBroker` (`amqp://`). The same contract test suite runs against each.
public protocol Broker: Sendable {
    /// The broker URL with any password masked, for logs and banners.
    var displayURL: String { get }

    /// Publishes a message. For ``Route/broadcast(_:)`` the receipt says how many
    /// subscribers received it; for ``Route/queue(_:)`` the message is stored until consumed
    /// and the call returns once the broker has it (confirmed where the broker confirms).
    func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt

    /// Publishes several messages to one route, in order; returns when all are published.
    /// The default publishes one at a time; a transport that can pipeline (Redis) sends the
    /// batch in one round trip. Used for events, which the worker sends in batches.
    func publish(batch messages: [BrokerMessage], to route: Route) async throws

    /// Starts consuming. In queue mode at most `options.prefetch` messages are delivered
    /// and unacknowledged at once; in broadcast mode the subscription starts now and sees
    /// nothing published earlier.
    func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer

    /// Removes every ready message of a queue; returns how many were removed.
    func purge(queue: String) async throws -> Int

    /// Number of ready (not yet delivered) messages in a queue.
    func queueLength(_ queue: String) async throws -> Int

    /// Closes connections. Consumers stop; their unacknowledged messages return to their queues.
    func close() async throws
}

extension Broker {
    public func publish(batch messages: [BrokerMessage], to route: Route) async throws {
        for m in messages { _ = try await publish(m, to: route) }
    }
}

/// Options for ``Broker/consume(_:options:)``.
public struct ConsumeOptions: Sendable, Hashable {
    /// Maximum unacknowledged deliveries in flight for this consumer (queue mode). Default 4.
    public var prefetch: Int
    /// A name for the consumer, for logs and broker tooling; generated when `nil`.
    public var consumerTag: String?

    public init(prefetch: Int = 4, consumerTag: String? = nil) {
        self.prefetch = max(1, prefetch)
        self.consumerTag = consumerTag
    }
}

/// A live subscription to one route.
public protocol MessageConsumer: Sendable {
    /// The next delivery; waits until one is available. Returns `nil` once the consumer is
    /// cancelled or its broker closed. Several tasks may wait at once (a pool of takers):
    /// each delivery goes to one of them.
    func next() async throws -> Delivery?

    /// Stops consuming. Unacknowledged queue-mode deliveries return to the queue marked
    /// redelivered (what a broker does when a consumer's connection drops).
    func cancel() async

    /// Stops new deliveries to this consumer (AMQP `basic.cancel`) while deliveries already
    /// received stay held and can still be acknowledged or requeued; a waiting ``next()``
    /// returns `nil`. Used by warm shutdown before ``cancel()``. Default: no effect.
    func stopDeliveries() async

    /// Raises (or lowers, with a negative value) the prefetch limit, for messages the
    /// worker must hold without running yet (ETA/countdown). Default: no effect.
    func adjustPrefetch(by delta: Int) async

    /// The next delivery if one arrives within `timeout`, else `nil`. Default: ``next()``
    /// under ``withDeadline(_:_:)`` (two helper tasks per call); a consumer built on
    /// ``DeliveryQueue`` answers with ``DeliveryQueue/take(within:)`` instead.
    func next(within timeout: Duration) async throws -> Delivery?

    /// The executor that reads this consumer's deliveries (an I/O transport's event loop),
    /// if it offers one as a `TaskExecutor`. The worker runs its reader and execution slots
    /// with this executor preference, so a delivery is decoded and its task run on the
    /// thread that read it, with no hop. Default `nil`: Swift's global executor.
    var taskExecutor: (any TaskExecutor)? { get }
}

extension MessageConsumer {
    public func adjustPrefetch(by delta: Int) async {}
    public func stopDeliveries() async {}

    public var taskExecutor: (any TaskExecutor)? { nil }

    /// The next delivery if one arrives within `timeout`, else `nil`. The pending receive is
    /// cancelled on timeout (transports return `nil` from a cancelled ``next()`` without
    /// losing a message).
    public func next(within timeout: Duration) async throws -> Delivery? {
        try await withDeadline(timeout) { try await self.next() }
    }
}

/// How a delivery is settled. Implemented by each transport.
public protocol DeliveryAcknowledger: Sendable {
    /// The message is done with; the broker forgets it.
    func ack() async throws
    /// Gives the message back to its queue (marked redelivered).
    func requeue() async throws
    /// Moves the message to the transport's dead-letter place with a reason.
    func deadLetter(reason: String) async throws
    /// Tells the broker the message is still being worked on (keeps a visibility timeout
    /// from expiring). Default: no effect.
    func touch() async throws
    /// Sends the ack without waiting for the broker's answer, if the transport can (it then
    /// batches acks and keeps the delivery counted against the prefetch until the answer
    /// comes); `finished` is called once with `nil` when the broker took it, or the error when
    /// it could not be sent. Returns `false` when the
    /// transport has no such path: the caller awaits ``ack()`` instead. Default: `false`.
    ///
    /// The worker acks this way so an execution slot takes its next delivery at once instead
    /// of idling for a round trip per task. A transport that implements it must send every
    /// such ack before its consumer's `cancel()` gives held deliveries back.
    func ackWithoutWaiting(finished: @escaping @Sendable ((any Error)?) -> Void) -> Bool
}

extension DeliveryAcknowledger {
    public func touch() async throws {}
    public func ackWithoutWaiting(finished: @escaping @Sendable ((any Error)?) -> Void) -> Bool { false }
}

/// One message handed to a consumer.
public struct Delivery: Sendable {
    /// The message.
    public var message: BrokerMessage
    /// The route it arrived on.
    public var route: Route
    /// Whether the broker delivered it before (to a consumer that did not acknowledge it).
    public var redelivered: Bool
    /// How many times it has been delivered, this time included (1 for a first delivery).
    /// Transports that cannot count report 1, or 2 when `redelivered` is set.
    public var deliveryCount: Int
    /// Settles the delivery; `nil` in broadcast mode, which has no acknowledgements.
    public var acknowledger: (any DeliveryAcknowledger)?

    public init(
        message: BrokerMessage, route: Route, redelivered: Bool = false, deliveryCount: Int = 1,
        acknowledger: (any DeliveryAcknowledger)?
    ) {
        self.message = message
        self.route = route
        self.redelivered = redelivered
        self.deliveryCount = max(deliveryCount, redelivered ? 2 : 1)
        self.acknowledger = acknowledger
    }

    /// Acknowledges (queue mode); no effect in broadcast mode.
    public func ack() async throws { try await acknowledger?.ack() }
    /// Returns the message to its queue (queue mode); no effect in broadcast mode.
    public func requeue() async throws { try await acknowledger?.requeue() }
    /// Dead-letters the message (queue mode); no effect in broadcast mode.
    public func deadLetter(reason: String) async throws { try await acknowledger?.deadLetter(reason: reason) }
    /// Keeps the message's visibility timeout from expiring while it runs.
    public func touch() async throws { try await acknowledger?.touch() }
}
