import NIOCore
import Synchronization

/// Acks queued from any thread for one channel, handed to the event loop in one hop per
/// batch: the first ack of a batch schedules the loop, later ones only join it. On the loop
/// the channel's ``AMQPAckWindow`` turns the batch into as few `basic.ack` frames as it can,
/// written with the tick's other frames in one flush.
///
/// Once the channel or its connection is gone the queue is closed and every later ack
/// throws at once (the server has already requeued the deliveries), so a caller never waits
/// for an ack that cannot be sent.
final class AMQPAckQueue: Sendable {
    private struct State {
        var tags: [UInt64] = []
        var scheduled = false
        var closed: AMQPError?
    }
    private let state = Mutex(State())

    /// Queues `tag`; returns `true` when the caller must schedule the drain on the loop
    /// (first ack of a batch). Throws when the channel is closed.
    func add(_ tag: UInt64) throws -> Bool {
        try state.withLock { s in
            if let e = s.closed { throw e }
            s.tags.append(tag)
            defer { s.scheduled = true }
            return !s.scheduled
        }
    }

    /// Takes the batch (on the loop).
    func take() -> [UInt64] {
        state.withLock { s in
            s.scheduled = false
            defer { s.tags.removeAll(keepingCapacity: true) }
            return s.tags
        }
    }

    /// Closes the queue: later ``add(_:)`` calls throw `error`; returns what was queued and not sent.
    @discardableResult
    func close(_ error: AMQPError) -> Int {
        state.withLock { s in
            if s.closed == nil { s.closed = error }
            defer { s.tags.removeAll() }
            return s.tags.count
        }
    }
}
