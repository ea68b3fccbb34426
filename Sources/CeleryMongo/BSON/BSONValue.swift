#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Celery

/// A BSON value, richer than ``JSONValue``: it keeps int32 vs int64, dates, ObjectIds and
/// binary data apart. Documents keep their field order (commands and sort specs need it).
enum BSONValue: Hashable, Sendable {
    case double(Double)
    case string(String)
    case document([BSONField])
    case array([BSONValue])
    case binary(subtype: UInt8, bytes: [UInt8])
    case objectId(BSONObjectId)
    case bool(Bool)
    /// Milliseconds since the Unix epoch (UTC), BSON's datetime.
    case date(milliseconds: Int64)
    case null
    case int32(Int32)
    case int64(Int64)
    /// A type we read but do not model (decimal128, regex, timestamp…), by BSON type name.
    case unsupported(String)

    /// A BSON datetime for a `Date` (millisecond precision, as MongoDB stores it).
    static func date(_ date: Date) -> BSONValue {
        .date(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    /// The `Date`, if this is a datetime.
    var dateValue: Date? {
        if case .date(let ms) = self { return Date(timeIntervalSince1970: Double(ms) / 1000) }
        return nil
    }

    /// The string, if this is a string.
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// The number as a double, for any numeric type.
    var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int32(let i): return Double(i)
        case .int64(let i): return Double(i)
        default: return nil
        }
    }

    /// The integer, for int32/int64 and integral doubles.
    var intValue: Int64? {
        switch self {
        case .int32(let i): return Int64(i)
        case .int64(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }

    /// Whether this is BSON null.
    var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The smallest integer type that holds `value` (int32 when it fits), as Python drivers do.
    static func integer(_ value: Int64) -> BSONValue {
        if let small = Int32(exactly: value) { return .int32(small) }
        return .int64(value)
    }
}

/// One field of a BSON document.
struct BSONField: Hashable, Sendable {
    var key: String
    var value: BSONValue

    init(_ key: String, _ value: BSONValue) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == BSONField {
    /// The value of the first field named `key`.
    subscript(field key: String) -> BSONValue? { first { $0.key == key }?.value }
}

/// A 12-byte MongoDB ObjectId.
struct BSONObjectId: Hashable, Sendable, CustomStringConvertible {
    /// The 12 bytes.
    var bytes: [UInt8]

    /// Lower-case hex, as MongoDB shells print it.
    var description: String { Format.hex(bytes) }
}
