import Celery
import Foundation
import Synchronization

/// Stored results per state for `/metrics`, counted by the backend at most once a minute
/// in the background: counting is a pass over the whole collection (seconds with 1 000 000
/// results on MongoDB, minutes on nx-27017), so a scrape never waits for it. A scrape
/// returns the last count (none until the first has finished) and starts a new one when
/// that is older than ``maxAge``.
final class StoredCounts: Sendable {
    /// Seconds a count is served before a new one is started. 60.
    static let maxAge = 60.0
    private let state = Mutex<(counts: [TaskState: Int]?, at: Double, running: Bool)>((nil, 0, false))

    /// The last counts (maybe `nil`), starting a refresh when they are stale.
    func current(_ backend: (any ResultQuerying)?) -> [TaskState: Int]? {
        guard let backend else { return nil }
        let now = Date().timeIntervalSince1970
        let (counts, start) = state.withLock { s -> ([TaskState: Int]?, Bool) in
            let stale = now - s.at >= Self.maxAge && !s.running
            if stale { s.running = true }
            return (s.counts, stale)
        }
        if start {
            Task { [self] in
                let fresh = try? await backend.countsByState()
                state.withLock { s in
                    if let fresh { s.counts = fresh }
                    s.at = Date().timeIntervalSince1970
                    s.running = false
                }
            }
        }
        return counts
    }
}
