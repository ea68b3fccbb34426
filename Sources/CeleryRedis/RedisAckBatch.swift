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
/// while the previous ack call is in flight — sent as one pipeline (``commands(_:counted:)``).
struct RedisAckBatch {
    /// The `unacked` hash, the `unacked_index` sorted set and the delivery-count hash.
    let unacked: String, index: String, counts: String
    private var pending: [(tag: String, done: RedisAckWaiter)] = []
    /// Ack calls sent and not yet answered.
    var inFlight = 0

    init(keys: RedisKeys) {
        (unacked, index, counts) = (keys.unacked, keys.unackedIndex, keys.deliveryCount)
    }

    /// The commands that acknowledge `tags`, as one pipeline (no script: plain commands cost
    /// the server about half as much as an `EVALSHA` doing the same):
    /// `HDEL unacked tags…`, then `HDEL <count hash> counted…` (only when some of the tags were
    /// redelivered: first deliveries have no count entry), then `ZREM unacked_index tags…`.
    /// The first reply is how many records existed.
    ///
    /// No atomicity is needed, because of the order. A restorer (ours or kombu's
    /// `restore_visible`) takes tags from `unacked_index` and restores only a tag whose
    /// `unacked` record it still finds, in one atomic step. Once the record is gone, an index
    /// entry left behind (our connection lost between the commands) restores nothing and is
    /// dropped by the next restorer that meets it; a restorer that ran just before our `HDEL`
    /// is the same race as a restore just before an atomic ack (the message runs again:
    /// at-least-once, and the reply says fewer records existed). The reverse order could
    /// leave a record whose index entry is gone: acked as far as every restorer knows, yet
    /// still in `unacked` for ever.
    func commands(_ tags: [String], counted: [String]) -> [[RESPValue]] {
        let args = tags.map { RESPValue($0) }
        var out: [[RESPValue]] = [[RESPValue("HDEL"), RESPValue(unacked)] + args]
        if !counted.isEmpty { out.append([RESPValue("HDEL"), RESPValue(counts)] + counted.map { RESPValue($0) }) }
        out.append([RESPValue("ZREM"), RESPValue(index)] + args)
        return out
    }

    /// Adds an ack; returns `true` when the caller must schedule a send at the end of the tick
    /// (the first of a batch with no call in flight; otherwise the reply to the call in flight
    /// sends it).
    mutating func add(_ tag: String, _ done: RedisAckWaiter) -> Bool {
        pending.append((tag, done))
        return pending.count == 1 && inFlight == 0
    }

    /// Most tags in one ack pipeline (keeps one command's argument list bounded).
    static let limit = 1000

    /// Whether no ack is waiting to be sent or waiting for its answer.
    var isIdle: Bool { pending.isEmpty && inFlight == 0 }

    /// The next batch to send now: up to ``limit`` (empty when none is left; the next ack
    /// after that starts a new one).
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
