import Synchronization

/// Where a ``Worker`` is in its life. Phases only move forward, in this order.
public enum WorkerPhase: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    /// Created; ``Worker/run()`` not called yet.
    case created
    /// ``Worker/run()`` is starting its consumers.
    case starting
    /// Consuming and running tasks.
    case running
    /// Warm shutdown: no new messages; prefetched ones go back; running tasks may finish
    /// within ``WorkerOptions/shutdownTimeout``.
    case warmShutdown
    /// Cold shutdown: running tasks are cancelled and their messages returned.
    case coldShutdown
    /// ``Worker/run()`` has returned.
    case stopped

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .created: return "created"
        case .starting: return "starting"
        case .running: return "running"
        case .warmShutdown: return "warm shutdown"
        case .coldShutdown: return "cold shutdown"
        case .stopped: return "stopped"
        }
    }
}

/// The worker's phase (one value under one lock) and a way to wait for a later one.
final class WorkerLifecycle: Sendable {
    private let current = Mutex(WorkerPhase.created)
    /// `reached[p]` fires once phase `p` (or a later one) is reached: the wake-up side only.
    private let reached: [AsyncEvent] = WorkerPhase.allCases.map { _ in AsyncEvent() }

    /// The current phase.
    var phase: WorkerPhase { current.withLock { $0 } }

    /// Moves to `phase` if it is later than the current one; returns the phase before the
    /// call. Waiters whose phase is reached resume.
    @discardableResult
    func advance(to phase: WorkerPhase) -> WorkerPhase {
        let before = current.withLock { p -> WorkerPhase in
            defer { p = max(p, phase) }
            return p
        }
        if phase > before {
            for p in WorkerPhase.allCases where p <= phase { reached[p.rawValue].fire() }
        }
        return before
    }

    /// Shutdown requested: from before or in ``WorkerPhase/running`` to a warm shutdown, from
    /// a warm shutdown to a cold one. Returns the new phase.
    @discardableResult
    func requestShutdown() -> WorkerPhase {
        let target = phase >= .warmShutdown ? WorkerPhase.coldShutdown : .warmShutdown
        advance(to: target)
        return self.phase
    }

    /// Returns once the phase is `phase` or later, or the calling task is cancelled.
    func wait(until phase: WorkerPhase) async { await reached[phase.rawValue].wait() }

    /// Waits at most `timeout` for `phase`; returns whether it was reached.
    func wait(until phase: WorkerPhase, timeout: Duration) async -> Bool {
        await reached[phase.rawValue].wait(timeout: timeout)
    }
}
