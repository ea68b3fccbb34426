/// Every remote-control command the worker answers (Celery's pidbox methods): the one
/// registry that the worker's dispatch, `celery-admin inspect|control` and the dashboard
/// read. Adding a case makes the worker's `switch` fail to compile until it is handled, and
/// the CLI and dashboard pick it up from ``inspectCommands`` / ``controlCommands``.
public enum RemoteControlMethod: String, CaseIterable, Sendable, Hashable {
    /// Liveness: replies `{"ok": "pong"}`.
    case ping
    /// Tasks running now.
    case active
    /// Tasks received and waiting for a free slot.
    case reserved
    /// Tasks held until their ETA/countdown.
    case scheduled
    /// Names of the tasks the worker can run.
    case registered
    /// Counters, pool size, prefetch, broker.
    case stats
    /// Revoked task ids the worker remembers.
    case revoked
    /// The routes the worker consumes (queue and broadcast).
    case activeQueues = "active_queues"
    /// The worker's configuration (Celery setting names), passwords masked.
    case conf
    /// Revoke tasks (argument `task_id`: id or list; `terminate`: also cancel a running one).
    case revoke
    /// Warm shutdown.
    case shutdown
    /// Change a task's rate limit (`task_name`, `rate_limit`: `N`, `N/s`, `N/m`, `N/h`; 0 = none).
    case rateLimit = "rate_limit"
    /// Start consuming a queue (`queue`).
    case addConsumer = "add_consumer"
    /// Stop consuming a queue (`queue`).
    case cancelConsumer = "cancel_consumer"
    /// Add execution slots (`n`, default 1).
    case poolGrow = "pool_grow"
    /// Remove execution slots added by `pool_grow` (`n`, default 1).
    case poolShrink = "pool_shrink"

    /// Whether the command only asks (`celery-admin inspect`).
    public var isInspection: Bool {
        switch self {
        case .ping, .active, .reserved, .scheduled, .registered, .stats, .revoked, .activeQueues, .conf: return true
        default: return false
        }
    }

    /// Whether the command changes the worker (`celery-admin control`); `ping` is both, as in Celery.
    public var isControl: Bool { !isInspection || self == .ping }

    /// Commands for `inspect`, in declaration order.
    public static var inspectCommands: [RemoteControlMethod] { allCases.filter(\.isInspection) }
    /// Commands for `control`, in declaration order.
    public static var controlCommands: [RemoteControlMethod] { allCases.filter(\.isControl) }

    /// Positional arguments a command takes on the command line (names for usage text).
    public var positionalArguments: [String] {
        switch self {
        case .revoke: return ["ID…"]
        case .rateLimit: return ["TASK", "RATE"]
        case .addConsumer, .cancelConsumer: return ["QUEUE"]
        case .poolGrow, .poolShrink: return ["[N]"]
        default: return []
        }
    }

    /// One-line description, for help text and the dashboard.
    public var summary: String {
        switch self {
        case .ping: return "answer pong"
        case .active: return "tasks running now"
        case .reserved: return "tasks waiting for a free slot"
        case .scheduled: return "tasks held until their ETA"
        case .registered: return "task names the worker runs"
        case .stats: return "counters, pool and broker"
        case .revoked: return "revoked ids remembered"
        case .activeQueues: return "routes consumed"
        case .conf: return "configuration"
        case .revoke: return "revoke tasks (--terminate cancels running ones)"
        case .shutdown: return "warm shutdown"
        case .rateLimit: return "set a task's rate limit"
        case .addConsumer: return "start consuming a queue"
        case .cancelConsumer: return "stop consuming a queue"
        case .poolGrow: return "add execution slots"
        case .poolShrink: return "remove added execution slots"
        }
    }

    /// Builds the command's `arguments` from command-line words; throws a message naming the
    /// usage when the words do not fit.
    public func arguments(from words: [String], terminate: Bool = false) throws -> [String: JSONValue] {
        func usage() -> CeleryError {
            CeleryError(.badArguments, "usage: \(rawValue) \(positionalArguments.joined(separator: " "))".trimmingSuffixSpace)
        }
        switch self {
        case .revoke:
            guard !words.isEmpty else { throw usage() }
            return ["task_id": .array(words.map(JSONValue.string)), "terminate": .bool(terminate), "signal": "SIGTERM"]
        case .rateLimit:
            guard words.count == 2 else { throw usage() }
            return ["task_name": .string(words[0]), "rate_limit": .string(words[1])]
        case .addConsumer, .cancelConsumer:
            guard words.count == 1 else { throw usage() }
            return ["queue": .string(words[0])]
        case .poolGrow, .poolShrink:
            guard words.count <= 1 else { throw usage() }
            guard let w = words.first else { return ["n": 1] }
            guard let n = Int(w), n > 0 else { throw CeleryError(.badArguments, "\(rawValue): N must be a positive integer, not '\(w)'") }
            return ["n": .int(Int64(n))]
        default:
            guard words.isEmpty else { throw usage() }
            return [:]
        }
    }
}

extension String {
    fileprivate var trimmingSuffixSpace: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
