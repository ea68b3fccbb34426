import NIOCore

/// Reading and writing the AMQP 0-9-1 field encodings (short/long strings, field tables,
/// arrays). Readers throw ``AMQPError`` (`malformedFrame`) on truncation or a bad type letter.
extension ByteBuffer {
    @inline(__always)
    mutating func amqpRead<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        guard let v = readInteger(as: T.self) else {
            throw AMQPError(.malformedFrame, "truncated \(what())")
        }
        return v
    }

    mutating func amqpReadBytes(_ n: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard n >= 0, let b = readBytes(length: n) else {
            throw AMQPError(.malformedFrame, "truncated \(what()) (\(n) bytes announced, \(readableBytes) left)")
        }
        return b
    }

    /// `shortstr`: one length octet then up to 255 bytes (decoded as UTF-8, invalid bytes replaced).
    mutating func amqpReadShortString(_ what: @autoclosure () -> String = "short string") throws -> String {
        let n = try amqpRead(UInt8.self, what())
        let b = try amqpReadBytes(Int(n), what())
        return String(decoding: b, as: UTF8.self)
    }

    /// `longstr`: a 32-bit length then the bytes.
    mutating func amqpReadLongString(_ what: @autoclosure () -> String = "long string") throws -> [UInt8] {
        let n = try amqpRead(UInt32.self, what())
        return try amqpReadBytes(Int(n), what())
    }

    /// Writes a short string; longer than 255 bytes is an ``AMQPError`` (`invalidState`).
    mutating func amqpWriteShortString(_ s: String) throws {
        let utf8 = Array(s.utf8)
        guard utf8.count <= 255 else {
            throw AMQPError(.invalidState, "short string longer than 255 bytes: '\(s.prefix(40))…'")
        }
        writeInteger(UInt8(utf8.count))
        writeBytes(utf8)
    }

    mutating func amqpWriteLongString(_ b: [UInt8]) {
        writeInteger(UInt32(b.count))
        writeBytes(b)
    }

    /// A field table: a 32-bit byte length, then name (shortstr), type letter, value.
    mutating func amqpReadTable(depth: Int = 0) throws -> AMQPTable {
        guard depth < 32 else { throw AMQPError(.malformedFrame, "field tables nested deeper than 32") }
        let n = try amqpRead(UInt32.self, "field table length")
        guard var slice = readSlice(length: Int(n)) else {
            throw AMQPError(.malformedFrame, "truncated field table (\(n) bytes announced, \(readableBytes) left)")
        }
        var table: AMQPTable = [:]
        while slice.readableBytes > 0 {
            let key = try slice.amqpReadShortString("field table key")
            table[key] = try slice.amqpReadFieldValue(depth: depth)
        }
        return table
    }

    mutating func amqpReadFieldValue(depth: Int) throws -> AMQPFieldValue {
        let type = try amqpRead(UInt8.self, "field type")
        switch type {
        case UInt8(ascii: "t"): return .bool(try amqpRead(UInt8.self, "boolean") != 0)
        case UInt8(ascii: "b"): return .int8(try amqpRead(Int8.self, "int8"))
        case UInt8(ascii: "B"): return .uint8(try amqpRead(UInt8.self, "uint8"))
        case UInt8(ascii: "s"): return .int16(try amqpRead(Int16.self, "int16"))
        case UInt8(ascii: "u"): return .uint16(try amqpRead(UInt16.self, "uint16"))
        case UInt8(ascii: "I"): return .int32(try amqpRead(Int32.self, "int32"))
        case UInt8(ascii: "i"): return .uint32(try amqpRead(UInt32.self, "uint32"))
        case UInt8(ascii: "l"), UInt8(ascii: "L"): return .int64(try amqpRead(Int64.self, "int64"))
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try amqpRead(UInt32.self, "float")))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try amqpRead(UInt64.self, "double")))
        case UInt8(ascii: "D"):
            let scale = try amqpRead(UInt8.self, "decimal scale")
            return .decimal(scale: scale, value: try amqpRead(Int32.self, "decimal value"))
        case UInt8(ascii: "S"): return .longString(try amqpReadLongString())
        case UInt8(ascii: "x"): return .bytes(try amqpReadLongString("byte array"))
        case UInt8(ascii: "A"):
            guard depth < 32 else { throw AMQPError(.malformedFrame, "field arrays nested deeper than 32") }
            let n = try amqpRead(UInt32.self, "field array length")
            guard var slice = readSlice(length: Int(n)) else {
                throw AMQPError(.malformedFrame, "truncated field array (\(n) bytes announced, \(readableBytes) left)")
            }
            var values: [AMQPFieldValue] = []
            while slice.readableBytes > 0 { values.append(try slice.amqpReadFieldValue(depth: depth + 1)) }
            return .array(values)
        case UInt8(ascii: "T"): return .timestamp(try amqpRead(UInt64.self, "timestamp"))
        case UInt8(ascii: "F"): return .table(try amqpReadTable(depth: depth + 1))
        case UInt8(ascii: "V"): return .void
        default:
            throw AMQPError(.malformedFrame, "unknown field type 0x\(String(type, radix: 16))")
        }
    }

    /// Writes a field table (keys sorted, so the encoding is deterministic).
    mutating func amqpWriteTable(_ table: AMQPTable) throws {
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))
        for key in table.keys.sorted() {
            try amqpWriteShortString(key)
            try amqpWriteFieldValue(table[key]!)
        }
        setInteger(UInt32(writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    mutating func amqpWriteFieldValue(_ value: AMQPFieldValue) throws {
        writeInteger(value.typeCode)
        switch value {
        case .bool(let b): writeInteger(UInt8(b ? 1 : 0))
        case .int8(let v): writeInteger(v)
        case .uint8(let v): writeInteger(v)
        case .int16(let v): writeInteger(v)
        case .uint16(let v): writeInteger(v)
        case .int32(let v): writeInteger(v)
        case .uint32(let v): writeInteger(v)
        case .int64(let v): writeInteger(v)
        case .float(let v): writeInteger(v.bitPattern)
        case .double(let v): writeInteger(v.bitPattern)
        case .decimal(let scale, let v): writeInteger(scale); writeInteger(v)
        case .longString(let b), .bytes(let b): amqpWriteLongString(b)
        case .array(let values):
            let lengthIndex = writerIndex
            writeInteger(UInt32(0))
            for v in values { try amqpWriteFieldValue(v) }
            setInteger(UInt32(writerIndex - lengthIndex - 4), at: lengthIndex)
        case .timestamp(let v): writeInteger(v)
        case .table(let t): try amqpWriteTable(t)
        case .void: break
        }
    }
}
