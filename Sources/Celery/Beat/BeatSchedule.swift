#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When a beat entry runs.
///
/// Every schedule answers one question, ``next(after:)``: the first run time strictly after
/// an instant. Run times ("ticks") are deterministic, so two beat processes agree on them
/// and a tick can be named (``BeatTick``).
public enum BeatSchedule: Sendable, Hashable, CustomStringConvertible {
    /// Every `interval`, on a grid aligned to the Unix epoch: `every 10s` ticks at :00, :10,
    /// :20…; `every 1h` on the hour (UTC); `every 1h30m` at 00:00, 01:30, 03:00… UTC. The
    /// grid makes ticks identical across processes and restarts.
    case interval(Duration)
    /// A crontab evaluated on the wall clock of a time zone. Across DST: a wall time that
    /// does not exist (spring-forward gap) runs once at the first valid instant after it
    /// (the transition); a wall time that occurs twice (fall-back overlap) runs once, at its
    /// first occurrence.
    case crontab(Crontab, timeZone: TimeZone)
    /// Once, at an instant.
    case at(Date)

    /// The first tick strictly after `date`, or `nil` when there is none (a past `at`).
    public func next(after date: Date) -> Date? {
        switch self {
        case .interval(let d):
            let iv = d.seconds
            let t = date.timeIntervalSince1970
            var n = ((t / iv).rounded(.down) + 1) * iv
            if n <= t { n += iv }
            return Date(timeIntervalSince1970: n)
        case .at(let at):
            return at > date ? at : nil
        case .crontab(let cron, let zone):
            var wall = LocalTime.wall(of: date, in: zone)
            // Bounded: in a fall-back overlap at most an hour of minutes is skipped.
            for _ in 0..<2000 {
                guard let w = cron.next(after: wall) else { return nil }
                let t = LocalTime.instant(of: w, in: zone)
                if t > date { return t }
                wall = w  // this wall time's first occurrence is already past (overlap): skip it
            }
            return nil
        }
    }

    /// The next `count` ticks after `date` (fewer when the schedule ends).
    public func upcoming(after date: Date, count: Int) -> [Date] {
        var out: [Date] = []
        var t = date
        while out.count < count, let n = next(after: t) {
            out.append(n)
            t = n
        }
        return out
    }

    /// The most recent ticks in `(after, through]`, oldest first, at most `limit` of them,
    /// and whether older ticks in that span were left out (or may have been).
    ///
    /// Searches backwards in growing windows (1 min, 1 h, 1 day, 32 days, 400 days, 40
    /// years), so finding the latest missed tick of a per-minute crontab after a year of
    /// downtime costs a handful of steps, and memory stays bounded by `limit`.
    public func recentTicks(after: Date, through: Date, limit: Int) -> (ticks: [Date], leftOut: Bool) {
        guard limit > 0, after < through else { return ([], false) }
        let windows: [Double] = [60, 3600, 86400, 32 * 86400, 400 * 86400, 40 * 366 * 86400]
        for (i, w) in windows.enumerated() {
            let lo = max(after, through.addingTimeInterval(-w))
            var ring: [Date] = []
            ring.reserveCapacity(limit)
            var seen = 0
            var t = lo
            while let n = next(after: t), n <= through {
                if ring.count == limit { ring.removeFirst() }
                ring.append(n)
                seen += 1
                t = n
            }
            let reachedStart = lo == after
            if seen >= limit || reachedStart || i == windows.count - 1 {
                return (ring, seen > limit || !reachedStart)
            }
        }
        return ([], false)
    }

    /// `every 10s`, `cron 0 0 * * * (Asia/Shanghai)`, `at 2026-12-01T00:00:00Z`.
    public var description: String {
        switch self {
        case .interval(let d): return "every \(BeatDuration.format(d))"
        case .crontab(let c, let z): return "cron \(c.expression) (\(z.identifier))"
        case .at(let d): return "at \(BeatTick.isoString(d))"
        }
    }
}
