import NIOCore

/// Serialises ``AMQPFrame`` values. Splitting content into body frames that fit the
/// negotiated frame size is the caller's job (see ``AMQPFrame/contentFrames(channel:properties:body:frameMax:)``).
public struct AMQPFrameEncoder: MessageToByteEncoder, Sendable {
    /// Frames to encode.
    public typealias OutboundIn = AMQPFrame

    /// Creates an encoder.
    public init() {}

    /// Encodes one frame.
    public func encode(data: AMQPFrame, out: inout ByteBuffer) throws {
        try Self.write(data, into: &out)
    }

    /// Appends one encoded frame to `out`.
    public static func write(_ frame: AMQPFrame, into out: inout ByteBuffer) throws {
        let type: UInt8
        switch frame.payload {
        case .method: type = AMQPFrame.methodType
        case .header: type = AMQPFrame.headerType
        case .body: type = AMQPFrame.bodyType
        case .heartbeat: type = AMQPFrame.heartbeatType
        }
        out.writeInteger(type)
        out.writeInteger(frame.channel)
        let sizeIndex = out.writerIndex
        out.writeInteger(UInt32(0))
        switch frame.payload {
        case .method(let m):
            try m.encode(into: &out)
        case .header(let classId, let bodySize, let properties):
            out.writeInteger(classId)
            out.writeInteger(UInt16(0))
            out.writeInteger(bodySize)
            try properties.encode(into: &out)
        case .body(var bytes):
            out.writeBuffer(&bytes)
        case .heartbeat:
            break
        }
        out.setInteger(UInt32(out.writerIndex - sizeIndex - 4), at: sizeIndex)
        out.writeInteger(AMQPFrame.frameEnd)
    }
}

extension AMQPFrame {
    /// The header frame and body frames for a message: bodies are cut so that no frame
    /// exceeds `frameMax` bytes (0 = no limit). An empty body yields no body frame.
    public static func contentFrames(channel: UInt16, properties: AMQPBasicProperties, body: ByteBuffer, frameMax: Int) -> [AMQPFrame] {
        var frames = [AMQPFrame(channel: channel, payload: .header(classId: 60, bodySize: UInt64(body.readableBytes), properties: properties))]
        let chunk = frameMax > 0 ? max(frameMax - overhead, 1) : max(body.readableBytes, 1)
        var rest = body
        while rest.readableBytes > 0 {
            frames.append(AMQPFrame(channel: channel, payload: .body(rest.readSlice(length: min(chunk, rest.readableBytes))!)))
        }
        return frames
    }
}
