/// Parses and formats the durations of schedule files: `"10s"`, `"5m"`, `"1h"`, `"1h30m"`,
/// `"1d"`, `"250ms"`, or a number of seconds.
public enum BeatDuration {
    /// Parses `"1h30m"`-style text (units `d`, `h`, `m`, `s`, `ms`; each number may have a
    /// fraction) or plain seconds (`"90"`). Returns `nil` when the text is not a duration
    /// or not positive.
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingCharactersInWhitespace().lowercased()
        if let plain = Double(s) { return plain > 0 && plain.isFinite ? .seconds(double: plain) : nil }
        var total = 0.0
        var number = ""
        var i = s.startIndex
        var parts = 0
        while i < s.endIndex {
            let c = s[i]
            if c.isNumber || c == "." {
                number.append(c)
                i = s.index(after: i)
                continue
            }
            guard let n = Double(number) else { return nil }
            var unit = String(c)
            let after = s.index(after: i)
            if c == "m", after < s.endIndex, s[after] == "s" { unit = "ms" }
            switch unit {
            case "d": total += n * 86400
            case "h": total += n * 3600
            case "m": total += n * 60
            case "s": total += n
            case "ms": total += n / 1000
            default: return nil
            }
            i = s.index(i, offsetBy: unit.count)
            number = ""
            parts += 1
        }
        guard number.isEmpty, parts > 0, total > 0, total.isFinite else { return nil }
        return .seconds(double: total)
    }

    /// `1h30m`, `10s`, `1d`, `0.5s`.
    public static func format(_ d: Duration) -> String {
        var s = d.seconds
        if s != s.rounded() || s < 1 { return "\(s)s" }
        var out = ""
        for (unit, size) in [("d", 86400.0), ("h", 3600.0), ("m", 60.0)] where s >= size {
            let n = (s / size).rounded(.down)
            out += "\(Int(n))\(unit)"
            s -= n * size
        }
        if s > 0 || out.isEmpty { out += "\(Int(s))s" }
        return out
    }
}
