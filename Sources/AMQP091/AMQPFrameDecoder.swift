import NIOCore

/// Parses bytes into ``AMQPFrame`` values. Pure parsing: no I/O, no protocol state.
///
/// A frame larger than ``maxFrameSize`` (header and frame-end included), a frame that does
/// not end in `0xCE`, an unknown frame type or bad arguments is an ``AMQPError``
/// (`frameTooLarge` / `malformedFrame`); the pipeline then closes the connection. A server
/// that answers our protocol header with its own (`AMQP` x y z) is reported as an
/// unsupported protocol version.
public struct AMQPFrameDecoder: ByteToMessageDecoder, Sendable {
    /// Decoded frames.
    public typealias InboundOut = AMQPFrame

    /// Largest accepted frame in bytes, including the 8 bytes of framing.
    /// Default 131072 (RabbitMQ's default `frame_max`); never below 4096.
    public var maxFrameSize: Int

    /// Creates a decoder accepting frames up to `maxFrameSize` bytes (default 131072).
    public init(maxFrameSize: Int = 131_072) {
        self.maxFrameSize = max(maxFrameSize, AMQPFrame.minimumFrameSize)
    }

    /// Decodes one frame if complete.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.parse(&buffer, maxFrameSize: maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Decodes what is left at EOF; an incomplete trailing frame is dropped.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // Leftover bytes of an incomplete frame at EOF are dropped: the connection is gone.
        return .needMoreData
    }

    /// Parses one frame from the front of `buffer`, or returns `nil` (consuming nothing)
    /// when more bytes are needed.
    public static func parse(_ buffer: inout ByteBuffer, maxFrameSize: Int) throws -> AMQPFrame? {
        guard buffer.readableBytes >= 7,
            let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let channel = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt16.self),
            let size = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt32.self)
        else { return nil }
        if type == UInt8(ascii: "A") {
            let header = buffer.getBytes(at: buffer.readerIndex, length: min(8, buffer.readableBytes)) ?? []
            if header.count < 8 { return nil }
            throw AMQPError(
                .protocolViolation,
                "server does not speak AMQP 0-9-1; it answered with protocol header \(header.suffix(4).map(String.init).joined(separator: "-"))")
        }
        guard Int(size) <= maxFrameSize - AMQPFrame.overhead else {
            throw AMQPError(.frameTooLarge, "frame of \(Int(size) + AMQPFrame.overhead) bytes on channel \(channel) exceeds the maximum frame size \(maxFrameSize)")
        }
        let total = 7 + Int(size) + 1
        guard buffer.readableBytes >= total else { return nil }
        guard buffer.getInteger(at: buffer.readerIndex + total - 1, as: UInt8.self) == AMQPFrame.frameEnd else {
            throw AMQPError(.malformedFrame, "frame on channel \(channel) (type \(type), \(size) bytes) does not end with 0xCE")
        }
        buffer.moveReaderIndex(forwardBy: 7)
        var payload = buffer.readSlice(length: Int(size))!
        buffer.moveReaderIndex(forwardBy: 1)
        let frame: AMQPFrame.Payload
        switch type {
        case AMQPFrame.methodType:
            frame = .method(try AMQPMethod.decode(from: &payload))
        case AMQPFrame.headerType:
            let classId = try payload.amqpRead(UInt16.self, "content header class id")
            _ = try payload.amqpRead(UInt16.self, "content header weight")
            let bodySize = try payload.amqpRead(UInt64.self, "content header body size")
            guard classId == 60 else {
                throw AMQPError(.malformedFrame, "content header for class \(classId); only basic (60) carries content")
            }
            frame = .header(classId: classId, bodySize: bodySize, properties: try AMQPBasicProperties.decode(from: &payload))
        case AMQPFrame.bodyType:
            frame = .body(payload)
        case AMQPFrame.heartbeatType:
            frame = .heartbeat
        default:
            throw AMQPError(.malformedFrame, "unknown frame type \(type) on channel \(channel)")
        }
        return AMQPFrame(channel: channel, payload: frame)
    }
}
