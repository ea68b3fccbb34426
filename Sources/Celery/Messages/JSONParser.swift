/// A byte-level JSON parser producing ``JSONValue`` (the hot path of every message), strict
/// per RFC 8259, with a nesting limit. Errors say what and where.
struct JSONParser {
    /// Maximum nesting of arrays and objects. Default 512.
    static let maxDepth = 512

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var offset: Int
        var description: String { "\(message) at byte \(offset + 1)" }
    }

    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        try parse(Array(bytes))
    }

    /// The hot path (no generic collection, no copy): envelopes and bodies arrive as arrays.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0) }
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var p = JSONParser(buffer)
        p.skipWS()
        let v = try p.value(depth: 0)
        p.skipWS()
        guard p.i == p.b.count else { throw Failure(message: "unexpected trailing data", offset: p.i) }
        return v
    }

    /// A task body `[args, kwargs, embed]` in one pass, without building the embed object
    /// when all its values are null (nearly every message: no callbacks, no chain). `nil`
    /// when the body is not of that shape or ends early (the caller then parses it whole for
    /// a precise error); throws ``Failure`` for invalid JSON met on the way.
    static func parseTaskBody(_ bytes: [UInt8]) throws -> (args: [JSONValue], kwargs: [String: JSONValue], embed: JSONValue?)? {
        try bytes.withUnsafeBufferPointer { buffer in
            var p = JSONParser(buffer)
            p.skipWS()
            guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "[") else { return nil }
            p.i += 1
            p.skipWS()
            guard case .array(let args) = try p.value(depth: 1), p.separator(",") else { return nil }
            guard case .object(let kwargs) = try p.value(depth: 1) else { return nil }
            var embed: JSONValue?
            if p.separator(",") {
                embed = try p.embedValue()
                while p.separator(",") { _ = try p.value(depth: 1) }  // extra elements: ignored
            }
            guard p.separator("]") else { return nil }
            guard p.i == p.b.count else { throw Failure(message: "unexpected trailing data", offset: p.i) }
            return (args, kwargs, embed)
        }
    }

    /// Skips whitespace and the given byte; whether it was there (then whitespace after it
    /// is skipped too).
    mutating func separator(_ c: Unicode.Scalar) -> Bool {
        skipWS()
        guard i < b.count, b[i] == UInt8(ascii: c) else { return false }
        i += 1
        skipWS()
        return true
    }

    /// The embed element: `nil` for an object whose values are all null (no dictionary is
    /// built), else the value.
    private mutating func embedValue() throws -> JSONValue? {
        guard i < b.count, b[i] == UInt8(ascii: "{") else {
            let v = try value(depth: 1)
            if v.isNull { return Optional.none }  // (not `nil`: JSONValue is nil-literal-expressible)
            return v
        }
        let start = i
        i += 1
        skipWS()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return nil }
        while true {
            skipWS()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            _ = try string()
            guard separator(":") else { throw fail("expected ':'") }
            guard i + 4 <= b.count, b[i] == UInt8(ascii: "n"), b[i + 1] == UInt8(ascii: "u"), b[i + 2] == UInt8(ascii: "l"),
                b[i + 3] == UInt8(ascii: "l")
            else {
                // A value that is not null: parse the object again, as a value.
                i = start
                return try value(depth: 1)
            }
            i += 4
            skipWS()
            guard i < b.count else { throw fail("unexpected end of input") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return nil }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func skipWS() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    func fail(_ m: String) -> Failure { Failure(message: m, offset: i) }

    mutating func value(depth: Int) throws -> JSONValue {
        guard i < b.count else { throw fail("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
            i += 1
            var o: [String: JSONValue] = [:]
            skipWS()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                skipWS()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipWS()
                o[k] = try value(depth: depth + 1)
                skipWS()
                guard i < b.count else { throw fail("unexpected end of input") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
            i += 1
            var a: [JSONValue] = []
            skipWS()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                skipWS()
                a.append(try value(depth: depth + 1))
                skipWS()
                guard i < b.count else { throw fail("unexpected end of input") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw fail("invalid literal") }
        let p = word.utf8Start
        for k in 0..<n where b[i + k] != p[k] { throw fail("invalid literal") }
        i += n
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        var isInt = true
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { throw fail("invalid value") }
        if b[i] == 0x30 { i += 1 } else { while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 } }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            isInt = false
            i += 1
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { throw fail("invalid number") }
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            isInt = false
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { throw fail("invalid number") }
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        }
        if isInt, i - start <= 18 {  // fits an Int64 whatever the digits
            var v: Int64 = 0
            var k = start
            let negative = b[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            while k < i { v = v * 10 + Int64(b[k] &- 0x30); k += 1 }
            return .int(negative ? -v : v)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if isInt, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw Failure(message: "invalid number", offset: start) }
        return .double(d)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes; all ASCII needs no UTF-8 validation.
        var high: UInt8 = 0
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 {
            high |= b[i]
            i += 1
        }
        guard i < b.count else { throw fail("unterminated string") }
        if b[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            let bytes = UnsafeBufferPointer(rebasing: b[start..<i])
            if high < 0x80 { return String(decoding: bytes, as: UTF8.self) }
            return try validated(bytes, at: start)
        }
        var out = Array(UnsafeBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else { throw fail("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw fail("unterminated escape") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if (0xD800..<0xDC00).contains(cp), i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let lo = try hex4()
                    if (0xDC00..<0xE000).contains(lo) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) } else { cp = 0xFFFD }
                } else if (0xD800..<0xE000).contains(cp) {
                    cp = 0xFFFD
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(cp) ?? "\u{FFFD}")).utf8))
            default: throw fail("invalid escape")
            }
        }
        return try out.withUnsafeBufferPointer { try validated($0, at: start) }
    }

    private func validated(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw Failure(message: "invalid UTF-8 in string", offset: start) }
        return s
    }
}
