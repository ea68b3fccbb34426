import Celery
import RESP

/// Who waits for one ack: a caller of ``RedisAcknowledger/ack()`` (resumed with the answer)
/// or the worker, which does not wait (told when it is done: `nil` or the error).
enum RedisAckWaiter {
    case continuation(CheckedContinuation<Void, any Error>)
    case callback(@Sendable ((any Error)?) -> Void)

    func succeeded() {
        switch self {
        case .continuation(let c): c.resume()
        case .callback(let f): f(nil)
        }
    }

    func failed(_ error: any Error) {
        switch self {
        case .continuation(let c): c.resume(throwing: error)
        case .callback(let f): f(error)
        }
    }
}

/// The acks of one queue consumer collected during one event-loop tick — or, under load,
/// while the previous ack call is in flight — sent as one ``RedisScript/ack`` call.
struct RedisAckBatch {
    /// `unacked`, `unacked_index`, delivery-count hash: the ack script's keys.
    let keys: [String]
    private var pending: [(tag: String, done: RedisAckWaiter)] = []
    /// Ack calls sent and not yet answered.
    var inFlight = 0

    init(keys: RedisKeys) { self.keys = [keys.unacked, keys.unackedIndex, keys.deliveryCount] }

    /// Adds an ack; returns `true` when the caller must schedule a send at the end of the tick
    /// (the first of a batch with no call in flight; otherwise the reply to the call in flight
    /// sends it).
    mutating func add(_ tag: String, _ done: RedisAckWaiter) -> Bool {
        pending.append((tag, done))
        return pending.count == 1 && inFlight == 0
    }

    /// Most tags in one script call (Lua's `unpack` has a stack limit).
    static let limit = 1000

    /// The next batch to send now: up to ``limit`` (empty when none is left; the next ack
    /// after that starts a new one).
    /// Whether no ack is waiting to be sent or waiting for its answer.
    var isIdle: Bool { pending.isEmpty && inFlight == 0 }

    mutating func take() -> [(tag: String, done: RedisAckWaiter)] {
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
    func ackWithoutWaiting(finished: @escaping @Sendable ((any Error)?) -> Void) -> Bool {
        consumer.ackSoon(tag, finished: finished)
        return true
    }
    func requeue() async throws { try await consumer.settle(tag, .requeue, raw: raw) }
    func deadLetter(reason: String) async throws { try await consumer.settle(tag, .deadLetter(reason), raw: raw) }
    func touch() async throws { try await consumer.settle(tag, .touch, raw: raw) }
}
