import NIOCore

/// One AMQP 0-9-1 frame: `type(1) channel(2) size(4) payload(size) 0xCE`.
public struct AMQPFrame: Sendable, Hashable {
    /// What a frame carries.
    public enum Payload: Sendable, Hashable {
        /// Type 1: a method with its arguments.
        case method(AMQPMethod)
        /// Type 2: a content header: class id, total body size in bytes, properties.
        case header(classId: UInt16, bodySize: UInt64, properties: AMQPBasicProperties)
        /// Type 3: a slice of a content body.
        case body(ByteBuffer)
        /// Type 8: a heartbeat (always on channel 0).
        case heartbeat
    }

    /// The channel number (0 = the connection itself).
    public var channel: UInt16
    /// The payload.
    public var payload: Payload

    /// Creates a frame.
    public init(channel: UInt16, payload: Payload) {
        self.channel = channel
        self.payload = payload
    }

    /// Frame type octets.
    static let methodType: UInt8 = 1, headerType: UInt8 = 2, bodyType: UInt8 = 3, heartbeatType: UInt8 = 8
    /// The frame-end octet.
    static let frameEnd: UInt8 = 0xCE
    /// Bytes a frame adds around its payload (7-byte header + frame-end).
    public static let overhead = 8
    /// The 8-byte protocol header a client sends first: `AMQP` 0 0 9 1.
    public static let protocolHeader: [UInt8] = Array("AMQP".utf8) + [0, 0, 9, 1]
    /// The smallest frame size a peer may negotiate (spec: 4096 bytes).
    public static let minimumFrameSize = 4096
}
