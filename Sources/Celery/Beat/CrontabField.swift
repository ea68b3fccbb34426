/// One parsed crontab field: the set of allowed values as a bit mask.
struct CrontabField: Sendable, Hashable {
    /// Which field, for ranges, names and error messages.
    enum Kind: String, Sendable {
        case minute, hour
        case dayOfMonth = "day-of-month"
        case month
        case dayOfWeek = "day-of-week"

        var range: ClosedRange<Int> {
            switch self {
            case .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }

        var names: [String: Int] {
            switch self {
            case .month:
                return ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                        "oct": 10, "nov": 11, "dec": 12]
            case .dayOfWeek: return ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
            default: return [:]
            }
        }
    }

    /// Bit `v` set = value `v` allowed (day-of-week 7 is folded onto 0).
    let mask: UInt64
    /// Whether the field text started with `*` (Vixie cron's test for "unrestricted").
    let isStar: Bool

    func contains(_ v: Int) -> Bool { mask & (1 << UInt64(v)) != 0 }

    /// The smallest allowed value ≥ `v`, or `nil`.
    func next(atOrAfter v: Int) -> Int? {
        guard v < 64 else { return nil }
        let m = mask >> UInt64(v)
        return m == 0 ? nil : v + m.trailingZeroBitCount
    }

    /// The smallest allowed value.
    var first: Int { mask.trailingZeroBitCount }

    /// Parses `*`, `5`, `1-10`, `*/15`, `1-10/2`, `5/10`, names (`jan`, `mon-fri`) and
    /// comma-separated lists of these.
    init(_ text: Substring, kind: Kind, expression: String) throws {
        func bad(_ why: String) -> CeleryError {
            CeleryError(.badArguments, "crontab '\(expression)': field \(kind.rawValue) '\(text)': \(why)")
        }
        let range = kind.range
        func value(_ s: Substring) throws -> Int {
            if let n = Int(s) {
                guard range.contains(n) else { throw bad("\(n) is out of range \(range.lowerBound)-\(range.upperBound)") }
                return n
            }
            if let n = kind.names[s.lowercased()] { return n }
            throw bad("'\(s)' is not a number\(kind.names.isEmpty ? "" : " or a name")")
        }
        var mask: UInt64 = 0
        guard !text.isEmpty else { throw bad("empty field") }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw bad("empty list item") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw bad("more than one '/' in '\(item)'") }
            var step = 1
            if parts.count == 2 {
                guard let s = Int(parts[1]), s >= 1 else { throw bad("step '\(parts[1])' must be a positive number") }
                step = s
            }
            let base = parts[0]
            var lo: Int, hi: Int
            if base == "*" {
                lo = range.lowerBound
                hi = kind == .dayOfWeek ? 6 : range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash])
                hi = try value(base[base.index(after: dash)...])
                guard lo <= hi else { throw bad("range \(base) runs backwards") }
            } else {
                lo = try value(base)
                hi = parts.count == 2 ? (kind == .dayOfWeek ? 6 : range.upperBound) : lo  // `5/10` = 5-max/10
            }
            var v = lo
            while v <= hi {
                mask |= 1 << UInt64(kind == .dayOfWeek && v == 7 ? 0 : v)
                v += step
            }
        }
        self.mask = mask
        self.isStar = text.hasPrefix("*")
    }
}
