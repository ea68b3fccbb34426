import DequeModule
import Synchronization

/// The embedded `memory://` transport: both delivery modes with their true semantics, in
/// one process.
///
/// - Queue mode: one consumer per message (round-robin over consumers with free prefetch),
///   explicit acks, prefetch caps unacknowledged deliveries per consumer, a consumer that
///   goes away (``MessageConsumer/cancel()``) hands its unacknowledged messages back marked
///   redelivered, dead-lettered messages are kept for inspection, and messages wait while
///   nobody consumes.
/// - Broadcast mode: every current subscriber gets a copy; with no subscriber the message is
///   dropped (receipt says 0); a subscriber sees nothing published before it joined; a
///   subscriber whose buffer is full (``broadcastBufferLimit``) loses new messages, as a
///   Redis subscriber past its output-buffer limit does.
///
/// `memory://NAME` URLs in one process share one instance per NAME.
public final class InMemoryBroker: Broker {
    /// A dead-lettered message and why.
    public struct DeadLetter: Sendable {
        /// The message as it was delivered.
        public var message: BrokerMessage
        /// Why it was dead-lettered.
        public var reason: String
    }

    struct Stored {
        var message: BrokerMessage
        var deliveries: Int
        var redelivered: Bool
    }

    struct ConsumerState {
        var queue: String
        /// Delivered and not yet settled, by delivery tag.
        var unacked: [UInt64: Stored] = [:]
        /// Deliveries handed to this consumer; its capacity is the prefetch, its `held`
        /// count equals `unacked.count`.
        let deliveries: DeliveryQueue<Delivery>
    }

    struct SubscriberState {
        var channel: String
        let deliveries = DeliveryQueue<Delivery>()
        var dropped = 0
    }

    struct QueueState {
        var ready: Deque<Stored> = []
        var consumers: [UInt64] = []
        var next = 0
        var deadLetters: [DeadLetter] = []
    }

    struct State {
        var queues: [String: QueueState] = [:]
        var consumers: [UInt64: ConsumerState] = [:]
        var subscribers: [UInt64: SubscriberState] = [:]
        var nextId: UInt64 = 1
        var closed = false
    }

    let state = Mutex(State())
    /// The instance name (`memory://NAME`).
    public let name: String
    /// Messages a broadcast subscriber may have waiting before new ones are dropped for it.
    public let broadcastBufferLimit: Int

    public var displayURL: String { "memory://\(name)" }

    /// Creates a private instance (not shared through URLs).
    public init(name: String = "", broadcastBufferLimit: Int = 10_000) {
        self.name = name
        self.broadcastBufferLimit = broadcastBufferLimit
    }

    private static let shared = Mutex<[String: InMemoryBroker]>([:])

    /// The process-wide instance for `memory://NAME`.
    public static func named(_ name: String) -> InMemoryBroker {
        shared.withLock { table in
            if let b = table[name] { return b }
            let b = InMemoryBroker(name: name)
            table[name] = b
            return b
        }
    }

    // MARK: Broker

    public func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt {
        switch route {
        case .queue(let q):
            try state.withLock { s in
                guard !s.closed else { throw CeleryError(.invalidState, "memory broker \(displayURL) is closed") }
                s.queues[q, default: QueueState()].ready.append(Stored(message: message, deliveries: 0, redelivered: false))
                dispatch(&s, queue: q)
            }
            return PublishReceipt(receivers: nil, confirmed: true)
        case .broadcast(let channel):
            let count = try state.withLock { s -> Int in
                guard !s.closed else { throw CeleryError(.invalidState, "memory broker \(displayURL) is closed") }
                var count = 0
                for id in s.subscribers.keys where s.subscribers[id]!.channel == channel {
                    let sub = s.subscribers[id]!.deliveries
                    if sub.count < broadcastBufferLimit, sub.push(Delivery(message: message, route: route, acknowledger: nil)) {
                        count += 1
                    } else {
                        s.subscribers[id]!.dropped += 1
                    }
                }
                return count
            }
            return PublishReceipt(receivers: count, confirmed: true)
        }
    }

    public func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer {
        let id = try state.withLock { s -> UInt64 in
            guard !s.closed else { throw CeleryError(.invalidState, "memory broker \(displayURL) is closed") }
            let id = s.nextId
            s.nextId += 1
            switch route {
            case .queue(let q):
                s.consumers[id] = ConsumerState(queue: q, deliveries: DeliveryQueue(capacity: options.prefetch))
                s.queues[q, default: QueueState()].consumers.append(id)
            case .broadcast(let c):
                s.subscribers[id] = SubscriberState(channel: c)
            }
            return id
        }
        let deliveries = state.withLock { s -> DeliveryQueue<Delivery> in
            if case .queue(let q) = route {
                dispatch(&s, queue: q)
                return s.consumers[id]!.deliveries
            }
            return s.subscribers[id]!.deliveries
        }
        return Consumer(broker: self, id: id, deliveries: deliveries)
    }

    public func purge(queue: String) async throws -> Int {
        state.withLock { s in
            let n = s.queues[queue]?.ready.count ?? 0
            s.queues[queue]?.ready.removeAll()
            return n
        }
    }

    public func queueLength(_ queue: String) async throws -> Int {
        state.withLock { $0.queues[queue]?.ready.count ?? 0 }
    }

    public func close() async throws {
        let ids = state.withLock { s -> [UInt64] in
            s.closed = true
            return Array(s.consumers.keys) + Array(s.subscribers.keys)
        }
        for id in ids { cancel(id) }
    }

    // MARK: Inspection

    /// Messages dead-lettered from a queue, oldest first.
    public func deadLetters(queue: String) -> [DeadLetter] {
        state.withLock { $0.queues[queue]?.deadLetters ?? [] }
    }

    /// Delivered but not yet acknowledged messages of a queue, over all its consumers.
    public func unackedCount(queue: String) -> Int {
        state.withLock { s in s.consumers.values.filter { $0.queue == queue }.reduce(0) { $0 + $1.unacked.count } }
    }

    /// Broadcast messages dropped for slow subscribers of a channel (buffer full).
    public func droppedBroadcasts(channel: String) -> Int {
        state.withLock { s in s.subscribers.values.filter { $0.channel == channel }.reduce(0) { $0 + $1.dropped } }
    }
}
