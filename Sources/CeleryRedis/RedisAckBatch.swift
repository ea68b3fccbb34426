import Celery
import RESP

/// The acks of one queue consumer collected during one event-loop tick — or, under load,
/// while the previous ack call is in flight — sent as one ``RedisScript/ack`` call.
struct RedisAckBatch {
    /// `unacked`, `unacked_index`, delivery-count hash: the ack script's keys.
    let keys: [String]
    private var pending: [(tag: String, done: CheckedContinuation<Void, any Error>)] = []
    /// Ack calls sent and not yet answered.
    var inFlight = 0

    init(keys: RedisKeys) { self.keys = [keys.unacked, keys.unackedIndex, keys.deliveryCount] }

    /// Adds an ack; returns `true` when the caller must schedule a send at the end of the tick
    /// (the first of a batch with no call in flight; otherwise the reply to the call in flight
    /// sends it).
    mutating func add(_ tag: String, _ done: CheckedContinuation<Void, any Error>) -> Bool {
        pending.append((tag, done))
        return pending.count == 1 && inFlight == 0
    }

    /// Most tags in one script call (Lua's `unpack` has a stack limit).
    static let limit = 1000

    /// The next batch to send now: up to ``limit`` (empty when none is left; the next ack
    /// after that starts a new one).
    mutating func take() -> [(tag: String, done: CheckedContinuation<Void, any Error>)] {
        if pending.count <= Self.limit {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        defer { pending.removeFirst(Self.limit) }
        return Array(pending.prefix(Self.limit))
    }
}

/// Settles one queue-mode delivery through its consumer.
struct RedisAcknowledger: DeliveryAcknowledger {
    let consumer: RedisQueueConsumer
    let tag: String
    /// The envelope as popped (for a dead-letter record).
    let raw: [UInt8]

    func ack() async throws { try await consumer.settle(tag, .ack, raw: raw) }
    func requeue() async throws { try await consumer.settle(tag, .requeue, raw: raw) }
    func deadLetter(reason: String) async throws { try await consumer.settle(tag, .deadLetter(reason), raw: raw) }
    func touch() async throws { try await consumer.settle(tag, .touch, raw: raw) }
}
