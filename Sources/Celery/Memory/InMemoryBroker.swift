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
        var prefetch: Int
        var unacked: [UInt64: Stored] = [:]
        var buffer: Deque<(UInt64, Stored)> = []
        /// Callers of `next()` waiting, oldest first, by token.
        var waiters: Deque<(UInt64, CheckedContinuation<Delivery?, Never>)> = []
        var paused = false
    }

    struct SubscriberState {
        var channel: String
        var buffer: Deque<BrokerMessage> = []
        var waiters: Deque<(UInt64, CheckedContinuation<Delivery?, Never>)> = []
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

    private let state = Mutex(State())
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
            let wakes = try state.withLock { s -> [(CheckedContinuation<Delivery?, Never>, Delivery)] in
                guard !s.closed else { throw CeleryError(.invalidState, "memory broker \(displayURL) is closed") }
                s.queues[q, default: QueueState()].ready.append(Stored(message: message, deliveries: 0, redelivered: false))
                return dispatch(&s, queue: q)
            }
            for (c, d) in wakes { c.resume(returning: d) }
            return PublishReceipt(receivers: nil, confirmed: true)
        case .broadcast(let channel):
            let (count, wakes) = try state.withLock { s -> (Int, [(CheckedContinuation<Delivery?, Never>, Delivery)]) in
                guard !s.closed else { throw CeleryError(.invalidState, "memory broker \(displayURL) is closed") }
                var count = 0
                var wakes: [(CheckedContinuation<Delivery?, Never>, Delivery)] = []
                for id in s.subscribers.keys where s.subscribers[id]!.channel == channel {
                    if let (_, w) = s.subscribers[id]!.waiters.popFirst() {
                        wakes.append((w, Delivery(message: message, route: route, acknowledger: nil)))
                        count += 1
                    } else if s.subscribers[id]!.buffer.count < broadcastBufferLimit {
                        s.subscribers[id]!.buffer.append(message)
                        count += 1
                    } else {
                        s.subscribers[id]!.dropped += 1
                    }
                }
                return (count, wakes)
            }
            for (c, d) in wakes { c.resume(returning: d) }
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
                s.consumers[id] = ConsumerState(queue: q, prefetch: options.prefetch)
                s.queues[q, default: QueueState()].consumers.append(id)
            case .broadcast(let c):
                s.subscribers[id] = SubscriberState(channel: c)
            }
            return id
        }
        if case .queue(let q) = route {
            let wakes = state.withLock { dispatch(&$0, queue: q) }
            for (c, d) in wakes { c.resume(returning: d) }
        }
        return Consumer(broker: self, id: id, route: route)
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

    // MARK: Internals (called with the lock held unless noted)

    /// Hands ready messages to consumers with free prefetch, round-robin.
    private func dispatch(_ s: inout State, queue q: String) -> [(CheckedContinuation<Delivery?, Never>, Delivery)] {
        var wakes: [(CheckedContinuation<Delivery?, Never>, Delivery)] = []
        // Taken out of the dictionary while it changes: a copy left behind would make the
        // first `removeFirst` copy the whole ready queue (quadratic draining).
        guard var qs = s.queues.removeValue(forKey: q) else { return wakes }
        defer { s.queues[q] = qs }
        while !qs.ready.isEmpty, !qs.consumers.isEmpty {
            var chosen: UInt64?
            for i in 0..<qs.consumers.count {
                let id = qs.consumers[(qs.next + i) % qs.consumers.count]
                if let c = s.consumers[id], !c.paused, c.unacked.count < c.prefetch {
                    chosen = id
                    qs.next = (qs.next + i + 1) % qs.consumers.count
                    break
                }
            }
            guard let id = chosen else { break }
            var stored = qs.ready.removeFirst()
            stored.deliveries += 1
            let tag = s.nextId
            s.nextId += 1
            s.consumers[id]!.unacked[tag] = stored
            if let (_, w) = s.consumers[id]!.waiters.popFirst() {
                wakes.append((w, makeDelivery(consumer: id, tag: tag, stored: stored, queue: q)))
            } else {
                s.consumers[id]!.buffer.append((tag, stored))
            }
        }
        return wakes
    }

    private func makeDelivery(consumer: UInt64, tag: UInt64, stored: Stored, queue: String) -> Delivery {
        Delivery(
            message: stored.message, route: .queue(queue), redelivered: stored.redelivered,
            deliveryCount: stored.deliveries, acknowledger: Acknowledger(broker: self, consumer: consumer, tag: tag))
    }

    /// Settles one delivery. Not called with the lock held.
    fileprivate func settle(consumer: UInt64, tag: UInt64, _ how: Settlement) throws {
        let wakes = try state.withLock { s -> [(CheckedContinuation<Delivery?, Never>, Delivery)] in
            guard let c = s.consumers[consumer], var stored = c.unacked[tag] else {
                throw CeleryError(
                    .invalidState, "delivery \(tag) is no longer held by its consumer (already settled, or returned to the queue)")
            }
            s.consumers[consumer]!.unacked[tag] = nil
            s.consumers[consumer]!.buffer.removeAll { $0.0 == tag }
            switch how {
            case .ack: break
            case .requeue:
                stored.redelivered = true
                s.queues[c.queue, default: QueueState()].ready.prepend(stored)
            case .deadLetter(let reason):
                s.queues[c.queue, default: QueueState()].deadLetters.append(DeadLetter(message: stored.message, reason: reason))
            }
            return dispatch(&s, queue: c.queue)
        }
        for (c, d) in wakes { c.resume(returning: d) }
    }

    enum Settlement { case ack, requeue, deadLetter(String) }

    fileprivate func next(_ id: UInt64, route: Route) async -> Delivery? {
        let token = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Delivery?, Never>) in
                let immediate: Delivery?? = state.withLock { s in
                    if Task.isCancelled { return .some(nil) }
                    switch route {
                    case .queue(let q):
                        guard s.consumers[id] != nil, !s.consumers[id]!.paused else { return .some(nil) }
                        if let (tag, stored) = s.consumers[id]!.buffer.popFirst() {
                            return .some(makeDelivery(consumer: id, tag: tag, stored: stored, queue: q))
                        }
                        s.consumers[id]!.waiters.append((token, cont))
                        return .none
                    case .broadcast:
                        guard s.subscribers[id] != nil else { return .some(nil) }
                        if let m = s.subscribers[id]!.buffer.popFirst() {
                            return .some(Delivery(message: m, route: route, acknowledger: nil))
                        }
                        s.subscribers[id]!.waiters.append((token, cont))
                        return .none
                    }
                }
                if let immediate { cont.resume(returning: immediate) }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Delivery?, Never>? in
                if let i = s.consumers[id]?.waiters.firstIndex(where: { $0.0 == token }) {
                    return s.consumers[id]!.waiters.remove(at: i).1
                }
                if let i = s.subscribers[id]?.waiters.firstIndex(where: { $0.0 == token }) {
                    return s.subscribers[id]!.waiters.remove(at: i).1
                }
                return nil
            }
            w?.resume(returning: nil)
        }
    }

    /// Removes a consumer; its unacknowledged messages go back to the front of the queue,
    /// marked redelivered, in delivery order.
    fileprivate func cancel(_ id: UInt64) {
        let (waiting, wakes) = state.withLock { s -> ([CheckedContinuation<Delivery?, Never>], [(CheckedContinuation<Delivery?, Never>, Delivery)]) in
            if let sub = s.subscribers.removeValue(forKey: id) { return (sub.waiters.map(\.1), []) }
            guard let c = s.consumers.removeValue(forKey: id) else { return ([], []) }
            s.queues[c.queue]?.consumers.removeAll { $0 == id }
            for (_, var stored) in c.unacked.sorted(by: { $0.key > $1.key }) {
                stored.redelivered = true
                s.queues[c.queue, default: QueueState()].ready.prepend(stored)
            }
            return (c.waiters.map(\.1), dispatch(&s, queue: c.queue))
        }
        for w in waiting { w.resume(returning: nil) }
        for (c, d) in wakes { c.resume(returning: d) }
    }

    /// Stops new deliveries to a queue consumer; messages it holds (buffered ones included)
    /// stay held until settled or until ``cancel(_:)``. A subscriber is simply removed.
    fileprivate func pause(_ id: UInt64) {
        let waiting = state.withLock { s -> [CheckedContinuation<Delivery?, Never>] in
            if let sub = s.subscribers.removeValue(forKey: id) { return sub.waiters.map(\.1) }
            guard s.consumers[id] != nil else { return [] }
            s.consumers[id]!.paused = true
            defer { s.consumers[id]!.waiters.removeAll() }
            return s.consumers[id]!.waiters.map(\.1)
        }
        for w in waiting { w.resume(returning: nil) }
    }

    fileprivate func adjust(_ id: UInt64, by delta: Int) {
        let wakes = state.withLock { s -> [(CheckedContinuation<Delivery?, Never>, Delivery)] in
            guard let c = s.consumers[id] else { return [] }
            s.consumers[id]!.prefetch = max(1, c.prefetch + delta)
            return dispatch(&s, queue: c.queue)
        }
        for (c, d) in wakes { c.resume(returning: d) }
    }

    final class Consumer: MessageConsumer {
        let broker: InMemoryBroker
        let id: UInt64
        let route: Route
        init(broker: InMemoryBroker, id: UInt64, route: Route) {
            self.broker = broker
            self.id = id
            self.route = route
        }
        func next() async throws -> Delivery? { await broker.next(id, route: route) }
        func cancel() async { broker.cancel(id) }
        func adjustPrefetch(by delta: Int) async { broker.adjust(id, by: delta) }
        func stopDeliveries() async { broker.pause(id) }
    }

    struct Acknowledger: DeliveryAcknowledger {
        let broker: InMemoryBroker
        let consumer: UInt64
        let tag: UInt64
        func ack() async throws { try broker.settle(consumer: consumer, tag: tag, .ack) }
        func requeue() async throws { try broker.settle(consumer: consumer, tag: tag, .requeue) }
        func deadLetter(reason: String) async throws { try broker.settle(consumer: consumer, tag: tag, .deadLetter(reason)) }
    }
}
