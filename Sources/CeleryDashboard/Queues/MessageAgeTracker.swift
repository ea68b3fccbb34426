import Celery
import Foundation
import Synchronization

/// The age of a waiting message, for queue latency: from the producer's `timestamp`
/// (property or header, seconds since 1970) when set, from its ETA once due (0 before),
/// otherwise from when this dashboard first saw it waiting (Celery's envelope carries no
/// send time; a lower bound right after the dashboard starts). Remembers first sightings by
/// message tag (delivery tag or task id) and forgets those no longer seen (bounded memory).
final class MessageAgeTracker: Sendable {
    private let firstSeen = Mutex<[String: Double]>([:])

    /// Age in seconds of one message at `now`; adds its tag to `seen`.
    func age(headers: [String: JSONValue], timestamp: Double?, tag: String, now: Double, seen: inout Set<String>) -> Double {
        if let ts = timestamp ?? headers["timestamp"]?.doubleValue { return max(0, now - ts) }
        if let eta = headers["eta"]?.stringValue.flatMap(CeleryDate.parse) {
            let due = eta.timeIntervalSince1970
            return due > now ? 0 : now - due
        }
        seen.insert(tag)
        let first = firstSeen.withLock { m -> Double in
            if let t = m[tag] { return t }
            m[tag] = now
            return now
        }
        return now - first
    }

    /// Forgets every first sighting whose tag is not in `keep`.
    func forget(except keep: Set<String>) {
        firstSeen.withLock { m in m = m.filter { keep.contains($0.key) } }
    }
}
