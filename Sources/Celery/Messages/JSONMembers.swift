/// Reads a JSON object member by member without building it: the envelope decoders' path,
/// where a message's top-level object and its properties are read into fields and only the
/// parts kept as trees (headers, unknown properties) become ``JSONValue``s.
///
/// Strict like ``JSONParser`` (it is the same parser): invalid JSON throws
/// ``JSONParser/Failure`` wherever it is met.
package struct JSONMembers {
    private var p: JSONParser

    fileprivate init(_ parser: JSONParser) { p = parser }

    /// Calls `member` with each key of the JSON object `bytes` and a reader at its value.
    /// A value `member` does not read is skipped (parsed and dropped). Returns `false` when
    /// `bytes` is valid JSON but not an object (`member` is never called).
    package static func forEach(
        in bytes: [UInt8], _ member: (String, inout JSONMembers) throws -> Void
    ) throws -> Bool {
        try bytes.withUnsafeBufferPointer { buffer in
            var r = JSONMembers(JSONParser(buffer))
            r.p.skipWS()
            guard r.p.i < r.p.b.count, r.p.b[r.p.i] == UInt8(ascii: "{") else {
                _ = try JSONParser.parse(buffer: buffer)
                return false
            }
            try r.members(depth: 0, member)
            r.p.skipWS()
            guard r.p.i == r.p.b.count else { throw JSONParser.Failure(message: "unexpected trailing data", offset: r.p.i) }
            return true
        }
    }

    private var depth = 0

    /// Reads the value as a tree.
    package mutating func value() throws -> JSONValue { try p.value(depth: depth + 1) }

    /// A string value's bytes (unescaped), or `nil` (the value is read and dropped) when it is
    /// not a string.
    package mutating func stringBytes() throws -> [UInt8]? {
        guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "\"") else {
            _ = try value()
            return nil
        }
        let start = p.i + 1
        var j = start
        while j < p.b.count, p.b[j] != UInt8(ascii: "\""), p.b[j] != UInt8(ascii: "\\"), p.b[j] >= 0x20 { j += 1 }
        if j < p.b.count, p.b[j] == UInt8(ascii: "\"") {
            p.i = j + 1
            return Array(UnsafeBufferPointer(rebasing: p.b[start..<j]))
        }
        return Array(try p.string().utf8)  // escapes: the general path
    }

    /// The value if it is a string, else `nil` (the value is read and dropped).
    package mutating func string() throws -> String? {
        guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "\"") else {
            _ = try value()
            return nil
        }
        return try p.string()
    }

    /// Reads an object value member by member (as ``forEach(in:_:)``); `false` when the
    /// value is not an object (it is read and dropped).
    package mutating func members(_ member: (String, inout JSONMembers) throws -> Void) throws -> Bool {
        guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "{") else {
            _ = try value()
            return false
        }
        try members(depth: depth + 1, member)
        return true
    }

    private mutating func members(depth d: Int, _ member: (String, inout JSONMembers) throws -> Void) throws {
        guard d < JSONParser.maxDepth else { throw p.fail("nesting deeper than \(JSONParser.maxDepth)") }
        let outer = depth
        depth = d
        defer { depth = outer }
        p.i += 1  // {
        p.skipWS()
        if p.i < p.b.count, p.b[p.i] == UInt8(ascii: "}") {
            p.i += 1
            return
        }
        while true {
            p.skipWS()
            guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "\"") else { throw p.fail("expected a string key") }
            let key = try p.string()
            guard p.separator(":") else { throw p.fail("expected ':'") }
            let at = p.i
            try member(key, &self)
            if p.i == at { _ = try p.value(depth: d + 1) }  // not read: skip it
            p.skipWS()
            guard p.i < p.b.count else { throw p.fail("unexpected end of input") }
            if p.b[p.i] == UInt8(ascii: ",") {
                p.i += 1
                continue
            }
            if p.b[p.i] == UInt8(ascii: "}") {
                p.i += 1
                return
            }
            throw p.fail("expected ',' or '}'")
        }
    }
}
