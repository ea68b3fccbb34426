import NIOCore

/// A `ByteToMessageDecoder` producing one ``RESPValue`` per complete reply.
///
/// Parsing is done by ``RESPParser``; limits are its init parameters. Bytes left over when
/// the connection closes are a truncated reply and raise ``RESPError`` (`protocolViolation`).
public struct RESPDecoder: ByteToMessageDecoder, Sendable {
    /// Emits parsed values.
    public typealias InboundOut = RESPValue

    /// The parser with its limits.
    public let parser: RESPParser
    /// Arrays being filled: elements still expected and those read so far (innermost last).
    private var open: [(remaining: Int, elements: [RESPValue])] = []

    /// Creates a decoder; the defaults are ``RESPParser``'s (512 MiB bulk strings,
    /// 1 048 576 array elements, 32 nesting levels, 64 KiB lines).
    public init(parser: RESPParser = RESPParser()) { self.parser = parser }

    /// Parses as many complete values as the buffer holds.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try nextValue(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    /// Consumes tokens until a top-level value is complete; partial arrays stay in `open`,
    /// so every byte is parsed once however the input is split.
    mutating func nextValue(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        while let token = try parser.token(&buffer, depth: open.count) {
            var value: RESPValue
            switch token {
            case .arrayHeader(let n):
                open.append((n, []))
                continue
            case .value(let v):
                value = v
            }
            while !open.isEmpty {
                open[open.count - 1].elements.append(value)
                open[open.count - 1].remaining -= 1
                guard open[open.count - 1].remaining == 0 else { break }
                value = .array(open.removeLast().elements)
            }
            if open.isEmpty { return value }
        }
        return nil
    }

    /// Parses what is left at end of input; an incomplete reply is an error.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 || !open.isEmpty {
            let n = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: n)
            throw RESPError(.protocolViolation, "connection closed in the middle of a reply (\(n) bytes unparsed)")
        }
        return .needMoreData
    }
}
