#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A wall-clock date and time (minute precision) in some time zone, without the zone.
///
/// Used by ``Crontab`` to search for the next matching minute field by field; conversions
/// to and from instants live in ``LocalTime``.
public struct LocalDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Year (e.g. 2026).
    public var year: Int
    /// Month, 1–12.
    public var month: Int
    /// Day of month, 1–31.
    public var day: Int
    /// Hour, 0–23.
    public var hour: Int
    /// Minute, 0–59.
    public var minute: Int

    /// Creates a wall-clock time (fields are not normalised).
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// Seconds since 1970-01-01T00:00 *as if the wall clock were UTC* (the "local epoch").
    public var localSeconds: Int64 {
        Int64(LocalTime.daysFromCivil(year, month, day)) * 86400 + Int64(hour * 3600 + minute * 60)
    }

    /// The wall-clock time for local-epoch seconds (seconds within the minute are dropped).
    public init(localSeconds s: Int64) {
        let days = Int((s >= 0 ? s : s - 86399) / 86400)
        let rem = Int(s - Int64(days) * 86400)
        let (y, m, d) = LocalTime.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: rem / 3600, minute: (rem % 3600) / 60)
    }

    /// Day of week, 0 = Sunday … 6 = Saturday.
    public var weekday: Int {
        let d = LocalTime.daysFromCivil(year, month, day)  // 1970-01-01 was a Thursday (4)
        return ((d % 7) + 7 + 4) % 7
    }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool { a.localSeconds < b.localSeconds }

    /// `YYYY-MM-DD HH:MM`.
    public var description: String {
        "\(Format.zeroPadded(year, width: 4))-\(Format.zeroPadded(month, width: 2))-\(Format.zeroPadded(day, width: 2)) "
            + "\(Format.zeroPadded(hour, width: 2)):\(Format.zeroPadded(minute, width: 2))"
    }
}

/// Conversions between instants and wall-clock times in a `TimeZone`, with a defined
/// behaviour across daylight-saving transitions.
public enum LocalTime {
    /// The wall-clock time of an instant in a zone.
    public static func wall(of date: Date, in zone: TimeZone) -> LocalDateTime {
        LocalDateTime(localSeconds: localSeconds(of: date, in: zone))
    }

    /// Local-epoch seconds (floored) of an instant in a zone.
    static func localSeconds(of date: Date, in zone: TimeZone) -> Int64 {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        return t + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
    }

    /// The instant a wall-clock time denotes in a zone.
    ///
    /// - A time that occurs twice (fall-back overlap) gives its **first** occurrence.
    /// - A time that does not exist (spring-forward gap) gives the **first valid instant
    ///   after it**: the moment of the transition (e.g. 02:30 on 2026-03-08 in
    ///   America/New_York gives 03:00 EDT = 07:00 UTC).
    public static func instant(of wall: LocalDateTime, in zone: TimeZone) -> Date {
        instant(localSeconds: wall.localSeconds, in: zone)
    }

    static func instant(localSeconds w: Int64, in zone: TimeZone) -> Date {
        func offset(_ t: Int64) -> Int64 { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) }
        let before = offset(w - 86400 * 2)
        let after = offset(w + 86400 * 2)
        var best: Int64?
        for o in Set([before, after, offset(w)]) {
            let t = w - o
            if offset(t) == o, best.map({ t < $0 }) ?? true { best = t }
        }
        if let best { return Date(timeIntervalSince1970: Double(best)) }
        // In a gap: find the transition, the first instant whose offset is the later one.
        let hi0 = max(before, after), lo0 = min(before, after)
        var lo = w - hi0 - 1, hi = w - lo0 + 1  // offset(lo) is the old offset, offset(hi) the new
        let newOffset = offset(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if offset(mid) == newOffset { hi = mid } else { lo = mid }
        }
        return Date(timeIntervalSince1970: Double(hi))
    }

    /// Days in a month of a year (Gregorian calendar).
    public static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Whether a year is a Gregorian leap year.
    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
