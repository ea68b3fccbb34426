import NIOCore

/// Pure RESP2 parsing with limits: reads one complete value from the front of a buffer or
/// reports that more bytes are needed. No I/O, no state between values; ``RESPDecoder``
/// wraps it for channel pipelines.
public struct RESPParser: Sendable, Hashable {
    /// Longest accepted bulk string in bytes. Default 512 MiB (Redis' `proto-max-bulk-len`).
    public var maxBulkLength: Int
    /// Most elements accepted in one array. Default 1 048 576.
    public var maxArrayLength: Int
    /// Deepest accepted array nesting (a flat array is depth 1). Default 32.
    public var maxNesting: Int
    /// Longest accepted status, error or integer line in bytes, CRLF excluded. Default 64 KiB.
    public var maxLineLength: Int

    /// Creates a parser with the given limits (see each property for its default).
    public init(
        maxBulkLength: Int = 512 * 1024 * 1024, maxArrayLength: Int = 1_048_576,
        maxNesting: Int = 32, maxLineLength: Int = 64 * 1024
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxArrayLength = maxArrayLength
        self.maxNesting = maxNesting
        self.maxLineLength = maxLineLength
    }

    /// Parses one value from the front of `buffer`, moving its reader index past it.
    /// Returns `nil` (buffer untouched) when the value is not complete yet; throws
    /// ``RESPError`` (`protocolViolation` or `limitExceeded`) for bytes that can never
    /// become a valid value.
    public func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        guard let (value, end) = try parse(buffer, at: buffer.readerIndex, depth: 0) else { return nil }
        buffer.moveReaderIndex(to: end)
        return value
    }

    /// One step of incremental parsing: a complete non-array value (null and empty arrays
    /// included) or the header of a non-empty array whose elements follow.
    public enum Token: Sendable, Hashable {
        /// A complete value.
        case value(RESPValue)
        /// `*n` with n > 0: the next n values are its elements.
        case arrayHeader(Int)
    }

    /// Reads one ``Token`` from the front of `buffer` (reader index moved past it), or `nil`
    /// (buffer untouched) when it is not complete. `depth` is the number of enclosing arrays,
    /// checked against ``maxNesting``. Used by ``RESPDecoder`` so a large array arriving in
    /// many reads is parsed once, element by element, instead of from its start on every read.
    public func token(_ buffer: inout ByteBuffer, depth: Int) throws -> Token? {
        let index = buffer.readerIndex
        guard index < buffer.writerIndex else { return nil }
        guard buffer.getInteger(at: index, as: UInt8.self)! == UInt8(ascii: "*") else {
            guard let (value, end) = try parse(buffer, at: index, depth: depth) else { return nil }
            buffer.moveReaderIndex(to: end)
            return .value(value)
        }
        guard let (body, next) = try line(buffer, at: index + 1) else { return nil }
        let count = try integer(body, what: "array length")
        let token: Token
        if count == -1 {
            token = .value(.array(nil))
        } else {
            guard count >= 0 else { throw RESPError(.protocolViolation, "negative array length \(count)") }
            guard count <= maxArrayLength else {
                throw RESPError(.limitExceeded, "array of \(count) elements exceeds the limit of \(maxArrayLength)")
            }
            guard depth < maxNesting else { throw RESPError(.limitExceeded, "arrays nested deeper than \(maxNesting) levels") }
            token = count == 0 ? .value(.array([])) : .arrayHeader(Int(count))
        }
        buffer.moveReaderIndex(to: next)
        return token
    }

    private static let cr: UInt8 = 13
    private static let lf: UInt8 = 10

    /// Finds the CRLF-terminated line starting at `index`; returns its bytes and the index
    /// after the CRLF, or `nil` when the CRLF has not arrived yet.
    private func line(_ buffer: ByteBuffer, at index: Int) throws -> ([UInt8], Int)? {
        let end = buffer.writerIndex
        var i = index
        while i < end {
            let b = buffer.getInteger(at: i, as: UInt8.self)!
            if b == Self.cr {
                guard i + 1 < end else { return nil }
                guard buffer.getInteger(at: i + 1, as: UInt8.self)! == Self.lf else {
                    throw RESPError(.protocolViolation, "CR not followed by LF at offset \(i - buffer.readerIndex)")
                }
                return (buffer.getBytes(at: index, length: i - index)!, i + 2)
            }
            if b == Self.lf {
                throw RESPError(.protocolViolation, "bare LF in a line at offset \(i - buffer.readerIndex)")
            }
            i += 1
            if i - index > maxLineLength {
                throw RESPError(.limitExceeded, "line longer than \(maxLineLength) bytes without CRLF")
            }
        }
        if end - index > maxLineLength {
            throw RESPError(.limitExceeded, "line longer than \(maxLineLength) bytes without CRLF")
        }
        return nil
    }

    private func integer(_ bytes: [UInt8], what: String) throws -> Int64 {
        guard !bytes.isEmpty, bytes.count <= 20, let v = Int64(String(decoding: bytes, as: UTF8.self)) else {
            throw RESPError(.protocolViolation, "invalid \(what) '\(String(decoding: bytes.prefix(40), as: UTF8.self))'")
        }
        return v
    }

    private func parse(_ buffer: ByteBuffer, at index: Int, depth: Int) throws -> (RESPValue, Int)? {
        guard index < buffer.writerIndex else { return nil }
        let type = buffer.getInteger(at: index, as: UInt8.self)!
        guard let (body, next) = try line(buffer, at: index + 1) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            return (.simpleString(String(decoding: body, as: UTF8.self)), next)
        case UInt8(ascii: "-"):
            return (.error(String(decoding: body, as: UTF8.self)), next)
        case UInt8(ascii: ":"):
            return (.integer(try integer(body, what: "integer reply")), next)
        case UInt8(ascii: "$"):
            let length = try integer(body, what: "bulk string length")
            if length == -1 { return (.bulkString(nil), next) }
            guard length >= 0 else { throw RESPError(.protocolViolation, "negative bulk string length \(length)") }
            guard length <= maxBulkLength else {
                throw RESPError(.limitExceeded, "bulk string of \(length) bytes exceeds the limit of \(maxBulkLength)")
            }
            let n = Int(length)
            guard buffer.writerIndex - next >= n + 2 else { return nil }
            guard buffer.getInteger(at: next + n, as: UInt8.self) == Self.cr,
                buffer.getInteger(at: next + n + 1, as: UInt8.self) == Self.lf
            else { throw RESPError(.protocolViolation, "bulk string of \(n) bytes is not followed by CRLF") }
            return (.bulkString(buffer.getBytes(at: next, length: n)!), next + n + 2)
        case UInt8(ascii: "*"):
            let count = try integer(body, what: "array length")
            if count == -1 { return (.array(nil), next) }
            guard count >= 0 else { throw RESPError(.protocolViolation, "negative array length \(count)") }
            guard count <= maxArrayLength else {
                throw RESPError(.limitExceeded, "array of \(count) elements exceeds the limit of \(maxArrayLength)")
            }
            guard depth < maxNesting else {
                throw RESPError(.limitExceeded, "arrays nested deeper than \(maxNesting) levels")
            }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(Int(count), 1024))
            var cursor = next
            for _ in 0..<count {
                guard let (element, after) = try parse(buffer, at: cursor, depth: depth + 1) else { return nil }
                elements.append(element)
                cursor = after
            }
            return (.array(elements), cursor)
        default:
            throw RESPError(.protocolViolation, "unknown RESP2 type byte 0x\(String(type, radix: 16))")
        }
    }
}
