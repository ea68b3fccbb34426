/// Pure health-check schedule of one connection (``RESPCommandHandler`` performs it).
///
/// The handler calls ``tick(oldestInFlight:)`` every half ``interval``. A tick with nothing
/// read since the previous one is *silent*:
/// - at a silent tick with no command in flight, it sends a `PING`;
/// - at the third silent tick in a row, when the same non-blocking command (or that `PING`)
///   was already the oldest in flight at the previous tick, the server has said nothing for at
///   least a whole interval while it was owed a reply: the connection is treated as gone
///   (closed; every command in flight fails).
///
/// So a connection that stops answering is closed within 2 × ``interval`` of its last sign of
/// life, idle or with a command waiting. Blocking commands (`BLMOVE`, `BLPOP`, …) rely on their own deadlines.
public struct RESPHealthCheck: Sendable, Hashable {
    /// What to do at a tick.
    public enum Decision: Sendable, Hashable {
        /// The connection answered, or may still.
        case nothing
        /// Send a `PING` (deadline: one interval).
        case ping
        /// Close the connection: silent for a whole interval with a command waiting.
        case fail
    }

    /// Verbs that may legitimately wait without a reply.
    public static let blockingVerbs: Set<String> = [
        "BLMOVE", "BLPOP", "BRPOP", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP", "WAIT", "WAITAOF",
        "XREAD", "XREADGROUP",
    ]

    /// The health-check interval (ticks come every half of it).
    public let interval: Duration
    /// Time between ticks: half the interval.
    public var tickPeriod: Duration { interval / 2 }
    var started = false
    private var reads = 0
    private var readsAtLastTick = 0
    private var oldestAtLastTick: Int?
    private var silentTicks = 0

    /// Creates a schedule ticking every `interval`.
    public init(interval: Duration) { self.interval = interval }

    /// Records the `PING` sent after a ``Decision/ping``: unanswered at the next tick, it fails.
    public mutating func pinged(seq: Int) { oldestAtLastTick = seq }

    /// Records a value read from the connection.
    public mutating func read() { reads &+= 1 }

    /// Decides at a tick; `oldestInFlight` is the sequence number of the oldest command waiting
    /// for its reply, and whether it is a blocking command.
    public mutating func tick(oldestInFlight: (seq: Int, blocking: Bool)?) -> Decision {
        silentTicks = reads == readsAtLastTick ? silentTicks + 1 : 0
        let previous = oldestAtLastTick
        readsAtLastTick = reads
        oldestAtLastTick = oldestInFlight?.seq
        guard silentTicks >= 1 else { return .nothing }
        guard let oldest = oldestInFlight else { return .ping }
        if oldest.blocking { return .nothing }
        return silentTicks >= 3 && previous == oldest.seq ? .fail : .nothing
    }
}
