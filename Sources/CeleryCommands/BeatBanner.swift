import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `celery-beat` banner and `--dry-run` listing; times are shown in the schedule's zone.
public enum BeatBanner {
    /// The startup banner: configuration, then each entry with its next run time.
    public static func text(
        file: BeatScheduleFile, broker: String, state: String, lease: String?, options: BeatOptions, now: Date
    ) -> String {
        var lines = [
            "celery beat v\(Banner.version) (swift-celery) is starting.",
            "__    -    ... __   -        _",
            "LocalTime -> \(format(now, in: file.timeZone))",
            "Configuration ->",
            "    . broker -> \(broker)",
            "    . timezone -> \(file.timeZone.identifier)",
            "    . state -> \(state)",
            "    . lease -> \(lease ?? "none (run a single beat, or give --lock)")",
            "    . maxinterval -> \(BeatDuration.format(options.maxInterval))",
            "    . catch-up -> \(options.catchUp.rawValue)",
            "Entries ->",
        ]
        for e in file.entries {
            let next = e.schedule.next(after: now).map { format($0, in: file.timeZone) } ?? "never (in the past)"
            lines.append("    . \(e.name.padding(20)) \(e.task) -> \(route(e)) \(e.schedule); next \(next)")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// The next `count` run times of every entry.
    public static func dryRun(file: BeatScheduleFile, count: Int, now: Date) -> String {
        var lines = ["# next \(count) run times after \(format(now, in: file.timeZone)) (\(file.timeZone.identifier))"]
        for e in file.entries {
            lines.append("\(e.name): \(e.task) -> \(route(e)), \(e.schedule)")
            let times = e.schedule.upcoming(after: now, count: count)
            if times.isEmpty { lines.append("  (no more runs)") }
            for t in times { lines.append("  \(format(t, in: file.timeZone))  \(BeatTick(entry: e.name, time: t).taskId)") }
        }
        return lines.joined(separator: "\n")
    }

    static func route(_ e: BeatEntry) -> String { e.route?.description ?? "queue:celery" }

    /// `2026-11-29 00:00:00 +08:00` (wall time and offset in `zone`).
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let shifted = date.addingTimeInterval(Double(offset))
        let base = CeleryDate.format(shifted).prefix(19).replacing("T", with: " ")
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        return base + " " + sign + Format.zeroPadded(a / 3600, width: 2) + ":" + Format.zeroPadded((a % 3600) / 60, width: 2)
    }
}
