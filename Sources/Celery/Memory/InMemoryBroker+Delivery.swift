import DequeModule
import Synchronization

// How the `memory://` broker hands messages to consumers and settles them. Every function
// here that takes `inout State` runs with the broker's lock held.
extension InMemoryBroker {
    /// Hands ready messages to consumers with free prefetch, round-robin. A consumer's
    /// ``DeliveryQueue`` wakes its oldest waiting taker directly.
    func dispatch(_ s: inout State, queue q: String) {
        // Taken out of the dictionary while it changes: a copy left behind would make the
        // first `removeFirst` copy the whole ready queue (quadratic draining).
        guard var qs = s.queues.removeValue(forKey: q) else { return }
        defer { s.queues[q] = qs }
        while !qs.ready.isEmpty, !qs.consumers.isEmpty {
            var chosen: UInt64?
            for i in 0..<qs.consumers.count {
                let id = qs.consumers[(qs.next + i) % qs.consumers.count]
                if let c = s.consumers[id], c.deliveries.freeSlots > 0 {
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
            let d = Delivery(
                message: stored.message, route: .queue(q), redelivered: stored.redelivered, deliveryCount: stored.deliveries,
                acknowledger: Acknowledger(broker: self, consumer: id, tag: tag))
            s.consumers[id]!.deliveries.push(d)
        }
    }

    enum Settlement { case ack, requeue, deadLetter(String) }

    /// Settles one delivery. Not called with the lock held.
    func settle(consumer: UInt64, tag: UInt64, _ how: Settlement) throws {
        try state.withLock { s in
            // Removed in place: a copy of the consumer's state kept meanwhile would make the
            // removal copy its whole `unacked` table.
            guard var stored = s.consumers[consumer]?.unacked.removeValue(forKey: tag) else {
                throw CeleryError(
                    .invalidState, "delivery \(tag) is no longer held by its consumer (already settled, or returned to the queue)")
            }
            let queue = s.consumers[consumer]!.queue
            s.consumers[consumer]!.deliveries.settle()
            switch how {
            case .ack: break
            case .requeue:
                stored.redelivered = true
                s.queues[queue, default: QueueState()].ready.prepend(stored)
            case .deadLetter(let reason):
                s.queues[queue, default: QueueState()].deadLetters.append(DeadLetter(message: stored.message, reason: reason))
            }
            dispatch(&s, queue: queue)
        }
    }

    /// Removes a consumer; its unacknowledged messages (taken or still buffered) go back to
    /// the front of the queue, marked redelivered, in delivery order.
    func cancel(_ id: UInt64) {
        state.withLock { s in
            if let sub = s.subscribers.removeValue(forKey: id) {
                sub.deliveries.close()
                return
            }
            guard let c = s.consumers.removeValue(forKey: id) else { return }
            c.deliveries.close()
            s.queues[c.queue]?.consumers.removeAll { $0 == id }
            for (_, var stored) in c.unacked.sorted(by: { $0.key > $1.key }) {
                stored.redelivered = true
                s.queues[c.queue, default: QueueState()].ready.prepend(stored)
            }
            dispatch(&s, queue: c.queue)
        }
    }

    /// Stops new deliveries to a queue consumer; messages it holds (buffered ones included)
    /// stay held until settled or until ``cancel(_:)``. A subscriber is simply removed.
    func pause(_ id: UInt64) {
        state.withLock { s in
            if let sub = s.subscribers.removeValue(forKey: id) {
                sub.deliveries.close()
                return
            }
            s.consumers[id]?.deliveries.stop()
        }
    }

    func adjust(_ id: UInt64, by delta: Int) {
        state.withLock { s in
            guard let c = s.consumers[id] else { return }
            c.deliveries.adjustCapacity(by: delta)
            dispatch(&s, queue: c.queue)
        }
    }

    final class Consumer: MessageConsumer {
        let broker: InMemoryBroker
        let id: UInt64
        let deliveries: DeliveryQueue<Delivery>
        init(broker: InMemoryBroker, id: UInt64, deliveries: DeliveryQueue<Delivery>) {
            self.broker = broker
            self.id = id
            self.deliveries = deliveries
        }
        func next() async throws -> Delivery? { await deliveries.take() }
        func next(within timeout: Duration) async throws -> Delivery? { await deliveries.take(within: timeout) }
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
