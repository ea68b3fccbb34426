import DequeModule

/// Which deliveries of one channel are still unacknowledged, so the acks of one event-loop
/// tick go out as few `basic.ack` frames as possible: the longest run of acked tags from the
/// oldest outstanding one becomes one `basic.ack(multiple: true)`; acks behind a delivery
/// still held go out one by one.
///
/// Delivery tags on a channel start at 1 and grow by one per delivery (manual or not), so
/// the window is a deque of per-tag states from ``base`` on: O(1) per delivery and per ack,
/// no hashing. Pure value type: tested without a server.
public struct AMQPAckWindow: Sendable, Hashable {
    enum Slot: UInt8, Sendable, Hashable {
        /// Not waiting for an ack from us (a no-ack delivery, or already settled).
        case settled
        /// Delivered with manual acknowledgement, not yet settled.
        case outstanding
        /// Ack requested in this tick, not yet written.
        case acking
    }

    /// The tag of `slots[0]`.
    private(set) var base: UInt64 = 1
    private var slots: Deque<Slot> = []
    /// Tags to ack in the next ``flush()`` that lie outside the window (unknown to it): sent as they are.
    private var foreign: [UInt64] = []
    private var acking = 0

    public init() {}

    /// Deliveries still waiting for an ack (for tests and diagnostics).
    public var outstandingCount: Int { slots.lazy.filter { $0 != .settled }.count }

    /// Records a delivery. `manual` = the consumer acknowledges it (else it is settled on arrival).
    public mutating func delivered(_ tag: UInt64, manual: Bool) {
        guard tag >= base else { return }
        while base + UInt64(slots.count) <= tag { slots.append(.settled) }
        slots[Int(tag - base)] = manual ? .outstanding : .settled
        if !manual { trim() }
    }

    /// Queues an ack of one delivery for the next ``flush()``.
    public mutating func ack(_ tag: UInt64) {
        guard tag >= base, tag < base + UInt64(slots.count), slots[Int(tag - base)] == .outstanding else {
            foreign.append(tag)
            return
        }
        slots[Int(tag - base)] = .acking
        acking += 1
    }

    /// Records a settlement sent some other way (`basic.nack`, `basic.reject`, a multiple ack):
    /// the tag (and, with `multiple`, every tag below it) is no longer outstanding.
    public mutating func settled(_ tag: UInt64, multiple: Bool) {
        guard tag >= base else { return }
        let end = min(tag, base + UInt64(slots.count) - 1)
        guard end >= base else { return }
        let from = multiple ? base : tag
        guard from <= end else { return }
        for t in from...end where slots[Int(t - base)] == .outstanding { slots[Int(t - base)] = .settled }
        trim()
    }

    /// The frames for every ack queued since the last flush: at most one `multiple` ack (the
    /// run from the oldest outstanding delivery) followed by single acks, in that order.
    public mutating func flush() -> [(tag: UInt64, multiple: Bool)] {
        var out: [(tag: UInt64, multiple: Bool)] = foreign.map { ($0, false) }
        foreign.removeAll(keepingCapacity: true)
        guard acking > 0 else { return out }
        // The run from the front: everything up to the last acked slot before the first
        // outstanding one is covered by one multiple ack.
        var runEnd: Int?
        var i = 0
        while i < slots.count, slots[i] != .outstanding {
            if slots[i] == .acking { runEnd = i }
            i += 1
        }
        var singles: [UInt64] = []
        if let runEnd {
            let tag = base + UInt64(runEnd)
            for j in 0...runEnd where slots[j] == .acking { slots[j] = .settled; acking -= 1 }
            // A run of one is a plain ack.
            out.append((tag, runEnd > 0))
        }
        if acking > 0 {
            for j in i..<slots.count where slots[j] == .acking {
                slots[j] = .settled
                singles.append(base + UInt64(j))
            }
            acking = 0
        }
        trim()
        out.append(contentsOf: singles.map { ($0, false) })
        return out
    }

    /// Forgets everything (the channel is closed: the server requeues what was outstanding).
    public mutating func reset() {
        slots.removeAll()
        foreign.removeAll()
        acking = 0
    }

    private mutating func trim() {
        while let first = slots.first, first == .settled {
            slots.removeFirst()
            base += 1
        }
    }
}
