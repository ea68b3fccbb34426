/// Renders JSON values the way Python's `repr()` shows them, for the `argsrepr` and
/// `kwargsrepr` headers that Celery tools (flower, `inspect active`) display.
public enum PythonRepr {
    /// Celery truncates each repr to this many characters.
    public static let maxLength = 1024

    /// `repr(tuple(args))`: `(2, 4)`, `('tick',)`, `()`.
    public static func args(_ args: [JSONValue]) -> String {
        let inner = args.map(repr).joined(separator: ", ")
        return truncate(args.count == 1 ? "(\(inner),)" : "(\(inner))")
    }

    /// `repr(kwargs)`: `{'job': 'warm'}`.
    public static func kwargs(_ kwargs: [String: JSONValue]) -> String {
        truncate(repr(.object(kwargs)))
    }

    /// `repr()` of one value.
    public static func repr(_ v: JSONValue) -> String {
        switch v {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d > 0 ? "inf" : "-inf" }
            if d == d.rounded(), abs(d) < 1e16 { return Format.fixed(d, places: 1) }
            return String(d)
        case .string(let s): return quote(s)
        case .array(let a): return "[" + a.map(repr).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\(quote($0)): \(repr(o[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        let useDouble = s.contains("'") && !s.contains("\"")
        let q: Character = useDouble ? "\"" : "'"
        var out = String(q)
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "'" where !useDouble: out += "\\'"
            default:
                if ch.value < 0x20 || ch.value == 0x7f {
                    out += "\\x" + Format.hexByte(UInt8(ch.value))
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        out.append(q)
        return out
    }

    static func truncate(_ s: String) -> String {
        s.count <= maxLength ? s : String(s.prefix(maxLength - 3)) + "..."
    }
}

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
