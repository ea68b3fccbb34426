import NIOCore

/// A `MessageToByteEncoder` writing ``RESPValue``s in RESP2 form. Commands are arrays of
/// bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`), which is what Redis expects.
public struct RESPEncoder: MessageToByteEncoder, Sendable {
    /// Encodes values.
    public typealias OutboundIn = RESPValue

    /// Creates an encoder.
    public init() {}

    /// Writes `data` to `out`.
    public func encode(data: RESPValue, out: inout ByteBuffer) throws {
        Self.write(data, to: &out)
    }

    /// Writes one value in RESP2 form (also used directly by pipelines).
    public static func write(_ value: RESPValue, to out: inout ByteBuffer) {
        switch value {
        case .simpleString(let s):
            out.writeStaticString("+"); out.writeString(s); out.writeStaticString("\r\n")
        case .error(let s):
            out.writeStaticString("-"); out.writeString(s); out.writeStaticString("\r\n")
        case .integer(let i):
            out.writeStaticString(":"); out.writeString(String(i)); out.writeStaticString("\r\n")
        case .bulkString(nil):
            out.writeStaticString("$-1\r\n")
        case .bulkString(let b?):
            out.writeStaticString("$"); out.writeString(String(b.count)); out.writeStaticString("\r\n")
            out.writeBytes(b); out.writeStaticString("\r\n")
        case .array(nil):
            out.writeStaticString("*-1\r\n")
        case .array(let a?):
            out.writeStaticString("*"); out.writeString(String(a.count)); out.writeStaticString("\r\n")
            for e in a { write(e, to: &out) }
        }
    }
}
