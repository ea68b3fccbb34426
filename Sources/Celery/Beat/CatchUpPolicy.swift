#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What beat does with ticks that fell due while it was not running (or not leader, or
/// while the wall clock jumped forward).
///
/// A tick is *missed* when it is at least ``BeatOptions/lateness`` (default 10 s) old when
/// beat looks at it.
public enum CatchUpPolicy: String, Sendable, Hashable, CaseIterable {
    /// Skip missed ticks; only a tick that is on time is sent.
    case none
    /// Send the most recent missed tick once (the default; Celery beat's behaviour).
    case once
    /// Send every missed tick, oldest first — at most ``BeatOptions/catchUpLimit`` (default
    /// 100) of the most recent ones; older ones are skipped with a warning.
    case all

    /// The ticks to send out of the due ones (`due` is ascending, all ≤ `now`). Ticks younger
    /// than `lateness` are on time and always sent; the policy decides about the others.
    func select(_ due: [Date], now: Date, lateness: Duration) -> [Date] {
        guard let last = due.last else { return [] }
        let onTime = due.filter { now.timeIntervalSince($0) < lateness.seconds }
        switch self {
        case .none: return onTime
        case .once: return onTime.isEmpty ? [last] : onTime
        case .all: return due
        }
    }
}
