/// An AMQP field table: string keys to typed values (the `headers` property, queue
/// arguments such as `x-queue-type`, the server's properties).
public typealias AMQPTable = [String: AMQPFieldValue]

/// A typed value of an AMQP field table or array, with the type letters RabbitMQ uses
/// (its errata of the 0-9-1 spec: `s` is a signed 16-bit integer, `l` a signed 64-bit one,
/// `x` a byte array). `L` (the spec's 64-bit integer, which RabbitMQ never sends) is read
/// as ``int64(_:)`` and never written.
public enum AMQPFieldValue: Sendable, Hashable {
    /// `t`: a boolean (one octet, 0 or 1).
    case bool(Bool)
    /// `b`: signed 8-bit integer.
    case int8(Int8)
    /// `B`: unsigned 8-bit integer.
    case uint8(UInt8)
    /// `s`: signed 16-bit integer.
    case int16(Int16)
    /// `u`: unsigned 16-bit integer.
    case uint16(UInt16)
    /// `I`: signed 32-bit integer.
    case int32(Int32)
    /// `i`: unsigned 32-bit integer.
    case uint32(UInt32)
    /// `l`: signed 64-bit integer.
    case int64(Int64)
    /// `f`: 32-bit IEEE float.
    case float(Float)
    /// `d`: 64-bit IEEE double.
    case double(Double)
    /// `D`: decimal = `value / 10^scale` (scale octet, signed 32-bit value).
    case decimal(scale: UInt8, value: Int32)
    /// `S`: long string (32-bit length). AMQP does not say it is UTF-8; see ``stringValue``.
    case longString([UInt8])
    /// `x`: byte array (32-bit length).
    case bytes([UInt8])
    /// `A`: array of values.
    case array([AMQPFieldValue])
    /// `T`: timestamp, seconds since the Unix epoch (unsigned 64-bit).
    case timestamp(UInt64)
    /// `F`: nested table.
    case table(AMQPTable)
    /// `V`: no value (void).
    case void

    /// A long string from a Swift string (UTF-8).
    public static func string(_ s: String) -> AMQPFieldValue { .longString(Array(s.utf8)) }

    /// The value as a string when it is a long string or byte array that is valid UTF-8.
    public var stringValue: String? {
        switch self {
        case .longString(let b), .bytes(let b): return String(validating: b, as: UTF8.self)
        default: return nil
        }
    }

    /// The value as a 64-bit integer when it is any integer type.
    public var intValue: Int64? {
        switch self {
        case .int8(let v): return Int64(v)
        case .uint8(let v): return Int64(v)
        case .int16(let v): return Int64(v)
        case .uint16(let v): return Int64(v)
        case .int32(let v): return Int64(v)
        case .uint32(let v): return Int64(v)
        case .int64(let v): return v
        case .timestamp(let v): return Int64(exactly: v)
        default: return nil
        }
    }

    /// The type letter written on the wire.
    public var typeCode: UInt8 {
        switch self {
        case .bool: return UInt8(ascii: "t")
        case .int8: return UInt8(ascii: "b")
        case .uint8: return UInt8(ascii: "B")
        case .int16: return UInt8(ascii: "s")
        case .uint16: return UInt8(ascii: "u")
        case .int32: return UInt8(ascii: "I")
        case .uint32: return UInt8(ascii: "i")
        case .int64: return UInt8(ascii: "l")
        case .float: return UInt8(ascii: "f")
        case .double: return UInt8(ascii: "d")
        case .decimal: return UInt8(ascii: "D")
        case .longString: return UInt8(ascii: "S")
        case .bytes: return UInt8(ascii: "x")
        case .array: return UInt8(ascii: "A")
        case .timestamp: return UInt8(ascii: "T")
        case .table: return UInt8(ascii: "F")
        case .void: return UInt8(ascii: "V")
        }
    }
}
