#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Celery's date format: ISO-8601 with microseconds and a numeric offset, as Python's
/// `datetime.isoformat()` writes (`2026-11-27T23:35:38.123456+00:00`).
public enum CeleryDate {
    /// Formats a date in UTC as Python's `isoformat()` does.
    public static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        var secs = t.rounded(.down)
        var micros = Int(((t - secs) * 1_000_000).rounded())
        if micros >= 1_000_000 { micros -= 1_000_000; secs += 1 }
        var tmv = tm()
        var tt = time_t(secs)
        gmtime_r(&tt, &tmv)
        let date = Format.zeroPadded(Int(tmv.tm_year) + 1900, width: 4) + "-"
            + Format.zeroPadded(Int(tmv.tm_mon) + 1, width: 2) + "-" + Format.zeroPadded(Int(tmv.tm_mday), width: 2)
        let time = Format.zeroPadded(Int(tmv.tm_hour), width: 2) + ":" + Format.zeroPadded(Int(tmv.tm_min), width: 2)
            + ":" + Format.zeroPadded(Int(tmv.tm_sec), width: 2)
        return date + "T" + time + "." + Format.zeroPadded(micros, width: 6) + "+00:00"
    }

    /// Parses ISO-8601 as Celery and Python write it: optional fraction (any digits), `Z`,
    /// `±HH:MM`, `±HHMM` or no offset (read as UTC, Celery's default time zone).
    public static func parse(_ s: String) -> Date? {
        let u = Array(s.utf8)
        func num(_ i: Int, _ n: Int) -> Int? {
            guard i + n <= u.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                let c = u[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 19, let y = num(0, 4), u[4] == 45, let mo = num(5, 2), u[7] == 45, let d = num(8, 2),
            u[10] == 84 || u[10] == 32, let h = num(11, 2), u[13] == 58, let mi = num(14, 2), u[16] == 58,
            let se = num(17, 2)
        else { return nil }
        var i = 19
        var frac = 0.0
        if i < u.count, u[i] == 46 {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                frac += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < u.count {
            if u[i] == 90 || u[i] == 122 {
                i += 1
            } else if u[i] == 43 || u[i] == 45 {
                let sign = u[i] == 45 ? -1 : 1
                guard let oh = num(i + 1, 2) else { return nil }
                var om = 0
                if let m = num(i + 4, 2), u[i + 3] == 58 { om = m; i += 6 } else if let m = num(i + 3, 2) { om = m; i += 5 } else { i += 3 }
                offset = sign * (oh * 3600 + om * 60)
            }
            guard i == u.count else { return nil }
        }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        var tmv = tm()
        tmv.tm_year = Int32(y - 1900)
        tmv.tm_mon = Int32(mo - 1)
        tmv.tm_mday = Int32(d)
        tmv.tm_hour = Int32(h)
        tmv.tm_min = Int32(mi)
        tmv.tm_sec = Int32(se)
        let epoch = timegm(&tmv)
        return Date(timeIntervalSince1970: Double(epoch - offset) + frac)
    }
}
