/// One RESP2 value, as Redis sends it and as commands are built from.
///
/// Bulk strings are raw bytes (Redis strings are binary-safe); `nil` payloads are RESP2's
/// null bulk string (`$-1`) and null array (`*-1`).
public enum RESPValue: Sendable, Hashable {
    /// `+OK` — a short status line (no CR or LF inside).
    case simpleString(String)
    /// `-ERR message` — an error reply; ``RedisConnection`` turns it into ``RESPError``.
    case error(String)
    /// `:42` — a signed 64-bit integer.
    case integer(Int64)
    /// `$3\r\nfoo` — binary-safe bytes; `nil` is the null bulk string `$-1`.
    case bulkString([UInt8]?)
    /// `*2\r\n…` — a list of values; `nil` is the null array `*-1`.
    case array([RESPValue]?)

    /// A bulk string holding the UTF-8 bytes of `string`.
    public init(_ string: String) { self = .bulkString(Array(string.utf8)) }
    /// A bulk string holding the decimal digits of `int` (how Redis takes numeric arguments).
    public init(_ int: Int) { self = .bulkString(Array(String(int).utf8)) }
    /// A bulk string holding `bytes`.
    public init(bytes: [UInt8]) { self = .bulkString(bytes) }

    /// The text of a simple string, bulk string or error (bytes read as UTF-8); `nil` otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let s), .error(let s): return s
        case .bulkString(let b?): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    /// The bytes of a bulk string or simple string; `nil` otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let b): return b
        case .simpleString(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// The value of an integer reply, or of a bulk/simple string holding decimal digits.
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulkString, .simpleString: return string.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The elements of a non-null array; `nil` otherwise.
    public var array: [RESPValue]? { if case .array(let a?) = self { return a } else { return nil } }

    /// Whether this is a null bulk string or a null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): return true
        default: return false
        }
    }
}

extension RESPValue: ExpressibleByStringLiteral {
    /// A string literal is a bulk string (the form of every command argument).
    public init(stringLiteral value: String) { self.init(value) }
}

extension RESPValue: ExpressibleByIntegerLiteral {
    /// An integer literal is a bulk string of its digits (the form of numeric arguments).
    public init(integerLiteral value: Int) { self.init(value) }
}

extension RESPValue: CustomStringConvertible {
    /// A short readable form for logs and test failures (long bulk strings are cut).
    public var description: String {
        switch self {
        case .simpleString(let s): return "+\(s)"
        case .error(let s): return "-\(s)"
        case .integer(let i): return ":\(i)"
        case .bulkString(nil): return "(nil)"
        case .bulkString(let b?):
            let s = String(decoding: b.prefix(200), as: UTF8.self)
            return b.count > 200 ? "\"\(s)…\" (\(b.count) bytes)" : "\"\(s)\""
        case .array(nil): return "(nil array)"
        case .array(let a?): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
