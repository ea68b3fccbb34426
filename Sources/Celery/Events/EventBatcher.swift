import DequeModule

/// The pure part of event sending: events in, messages out, no I/O (tested without a server).
///
/// Task events (type `task-*`, Celery's `task` group) are buffered as Celery's worker does
/// with its event loop (`buffer_group=['task']`, `buffer_limit=24`): up to ``limit`` of them
/// go out as ONE message whose body is a JSON list of event objects, routing key
/// `task.multi`. The open batch is sealed when it is full, when the sender takes what is
/// waiting (the end of a tick: an idle worker's event is not held back), and before any
/// other event (so every event leaves in the order it was made). Other events (`worker-*`)
/// are single messages with their own routing key (`worker.heartbeat`…). With ``limit`` 1
/// every event is its own message, as Celery 3 and a worker without an event loop send them.
///
/// At most ``bufferLimit`` events wait (open batch included); beyond that the oldest sealed
/// messages are dropped and their events counted in ``dropped``.
struct EventBatcher {
    /// A message ready to publish.
    struct Outgoing: Equatable {
        /// The JSON body: one event object, or a list of them (`task.multi`).
        var body: [UInt8]
        /// Celery's routing key: `task.multi` for a batch, else the event's (`worker.online`).
        var routingKey: String
        /// Events in the body.
        var events: Int
    }

    /// Routing key of a batch of task events (Celery's `'%s.multi' % group`).
    static let multiKey = "task.multi"
    /// Expected size of one task event, for the open batch's first allocation (bytes).
    static let eventSizeHint = 320

    /// Task events per message (at least 1; 1 = no batching).
    let limit: Int
    /// Most events waiting (sealed and open).
    let bufferLimit: Int
    private(set) var sealed: Deque<Outgoing> = []
    /// The batch being filled: `[` and the events written so far, comma-separated (no `]`).
    private var open: [UInt8] = []
    private(set) var openCount = 0
    /// Events waiting (sealed and open).
    private(set) var waiting = 0
    /// Events dropped so far because more than ``bufferLimit`` waited.
    private(set) var dropped = 0

    init(limit: Int, bufferLimit: Int) {
        self.limit = max(1, limit)
        self.bufferLimit = max(self.limit, bufferLimit)
    }

    /// Whether an event type belongs to the buffered `task` group (`task-received`…).
    @inline(__always)
    static func isTaskEvent(_ type: String) -> Bool { type.utf8.starts(with: "task-".utf8) }

    /// Adds one event, written by `write` (a complete JSON object); returns how many events
    /// were dropped to make room (0 normally).
    mutating func add(_ type: String, write: (inout [UInt8]) -> Void) -> Int {
        if limit > 1, Self.isTaskEvent(type) {
            if openCount == 0 {
                open.reserveCapacity(limit * Self.eventSizeHint)
                open.append(UInt8(ascii: "["))
            } else {
                open.append(UInt8(ascii: ","))
            }
            write(&open)
            openCount += 1
            waiting += 1
            if openCount >= limit { seal() }
        } else {
            seal()
            var body: [UInt8] = []
            body.reserveCapacity(Self.eventSizeHint)
            write(&body)
            sealed.append(Outgoing(body: body, routingKey: EventDispatcher.routingKey(type), events: 1))
            waiting += 1
        }
        return trim()
    }

    /// Closes the open batch (if any) into a `task.multi` message.
    mutating func seal() {
        guard openCount > 0 else { return }
        open.append(UInt8(ascii: "]"))
        sealed.append(Outgoing(body: open, routingKey: Self.multiKey, events: openCount))
        open = []
        openCount = 0
    }

    /// Seals the open batch and takes up to `max` messages, oldest first.
    mutating func take(max: Int) -> [Outgoing] {
        seal()
        let n = Swift.min(max, sealed.count)
        let out = Array(sealed.prefix(n))
        sealed.removeFirst(n)
        for m in out { waiting -= m.events }
        return out
    }

    /// Whether nothing waits.
    var isEmpty: Bool { waiting == 0 }

    private mutating func trim() -> Int {
        var n = 0
        while waiting > bufferLimit, let oldest = sealed.popFirst() {
            waiting -= oldest.events
            n += oldest.events
        }
        dropped += n
        return n
    }
}
