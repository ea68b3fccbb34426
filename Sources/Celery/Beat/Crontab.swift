/// A five-field crontab expression: `minute hour day-of-month month day-of-week`.
///
/// Each field accepts `*`, numbers, ranges (`1-5`), lists (`1,15,30`), steps (`*/15`,
/// `1-10/2`, `5/10` = from 5 to the maximum), month names (`jan`…`dec`) and weekday names
/// (`sun`…`sat`); in day-of-week both 0 and 7 are Sunday. The macros `@yearly`
/// (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly` are accepted.
///
/// Days follow Vixie cron: when **both** day-of-month and day-of-week are restricted (do not
/// start with `*`), a day matches if **either** matches (`0 0 13 * fri` runs on every 13th
/// and on every Friday); otherwise both must match.
///
/// A crontab is zone-free: ``BeatSchedule/crontab(_:timeZone:)`` applies it in a time zone.
public struct Crontab: Sendable, Hashable, CustomStringConvertible {
    /// The expression as given.
    public let expression: String
    let minutes: CrontabField
    let hours: CrontabField
    let daysOfMonth: CrontabField
    let months: CrontabField
    let daysOfWeek: CrontabField

    /// How far ahead ``next(after:)`` searches before concluding the expression never
    /// matches (years). 30 covers Feb 29 with any weekday.
    static let searchYears = 30

    /// Parses an expression; throws ``CeleryError`` (`badArguments`) naming the field.
    public init(_ expression: String) throws {
        let macros = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        let trimmed = expression.trimmingCharactersInWhitespace()
        let text = macros[trimmed.lowercased()] ?? trimmed
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard f.count == 5 else {
            throw CeleryError(
                .badArguments,
                "crontab '\(expression)': expected 5 fields (minute hour day-of-month month day-of-week), got \(f.count)")
        }
        self.expression = expression
        minutes = try CrontabField(f[0], kind: .minute, expression: expression)
        hours = try CrontabField(f[1], kind: .hour, expression: expression)
        daysOfMonth = try CrontabField(f[2], kind: .dayOfMonth, expression: expression)
        months = try CrontabField(f[3], kind: .month, expression: expression)
        daysOfWeek = try CrontabField(f[4], kind: .dayOfWeek, expression: expression)
        if next(after: LocalDateTime(year: 2000, month: 1, day: 1)) == nil {
            throw CeleryError(.badArguments, "crontab '\(expression)': never matches (no such day in the allowed months)")
        }
    }

    public var description: String { expression }

    /// Whether a calendar day matches (Vixie's rule for day-of-month vs day-of-week).
    func dayMatches(_ t: LocalDateTime) -> Bool {
        let dom = daysOfMonth.contains(t.day)
        let dow = daysOfWeek.contains(t.weekday)
        switch (daysOfMonth.isStar, daysOfWeek.isStar) {
        case (false, false): return dom || dow
        case (false, true): return dom
        case (true, false): return dow
        case (true, true): return true
        }
    }

    /// Whether a wall-clock minute matches.
    public func matches(_ t: LocalDateTime) -> Bool {
        months.contains(t.month) && dayMatches(t) && hours.contains(t.hour) && minutes.contains(t.minute)
    }

    /// The first matching wall-clock minute strictly after `t`, or `nil` when none exists in
    /// the next ``searchYears`` years. Skips by field (month, day, hour, minute), so a
    /// yearly expression costs a few dozen steps, not half a million minutes.
    public func next(after t: LocalDateTime) -> LocalDateTime? {
        var c = LocalDateTime(localSeconds: t.localSeconds + 60)
        let limit = c.year + Self.searchYears
        func nextDay() { c.day += 1; c.hour = 0; c.minute = 0 }
        while c.year <= limit {
            if !months.contains(c.month) {
                if let m = months.next(atOrAfter: c.month + 1), m <= 12 {
                    c.month = m
                } else {
                    c.year += 1
                    c.month = months.first
                }
                c.day = 1; c.hour = 0; c.minute = 0
                continue
            }
            if c.day > LocalTime.daysInMonth(c.year, c.month) {
                c.month += 1
                if c.month > 12 { c.month = 1; c.year += 1 }
                c.day = 1; c.hour = 0; c.minute = 0
                continue
            }
            if !dayMatches(c) { nextDay(); continue }
            guard let h = hours.next(atOrAfter: c.hour), h <= 23 else { nextDay(); continue }
            if h != c.hour { c.hour = h; c.minute = 0 }
            guard let m = minutes.next(atOrAfter: c.minute), m <= 59 else {
                c.hour += 1; c.minute = 0
                if c.hour > 23 { nextDay() }
                continue
            }
            c.minute = m
            return c
        }
        return nil
    }
}

extension StringProtocol {
    /// The string without leading and trailing whitespace (Foundation's
    /// `trimmingCharacters(in: .whitespaces)`, which FoundationEssentials lacks).
    package func trimmingCharactersInWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
