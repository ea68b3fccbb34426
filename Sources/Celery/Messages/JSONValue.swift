#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON value: what task arguments, results and message headers are made of.
///
/// Numbers keep the difference between integers and doubles so that `2 + 4` stays `6`
/// (not `6.0`) when a Python peer reads it back.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Hashable {
    /// Numbers compare by value: `.int(3) == .double(3.0)`, as in Python.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y && y.rounded() == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(1); h.combine(b)
        case .int(let i): h.combine(2); h.combine(Double(i))
        case .double(let d): h.combine(2); h.combine(d)
        case .string(let s): h.combine(3); h.combine(s)
        case .array(let a): h.combine(4); h.combine(a)
        case .object(let o): h.combine(5); h.combine(o)
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, if this is an integer (or a double with an exact integer value).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }
    /// The number as a double, if this is a number.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    /// The boolean, if this is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    /// Whether this is `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// Member lookup on objects; `nil` for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { String(decoding: JSONWriter.write(self), as: UTF8.self) }
}

/// JSON encoding helpers shared by the core and the transports.
public enum JSONCoding {
    /// Encodes any `Encodable` value as compact JSON bytes.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let v = value as? JSONValue { return JSONWriter.write(v) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Decodes a value of type `T` from JSON bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// Parses JSON bytes into a ``JSONValue`` (any top-level value is accepted).
    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        try JSONParser.parse(Array(bytes))
    }

    /// Parses JSON bytes into a ``JSONValue`` (the array overload: no generic dispatch, no copy).
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// Converts a ``JSONValue`` into a typed `Decodable` value.
    public static func convert<T: Decodable>(_ value: JSONValue, to type: T.Type) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        if let direct = T.self as? any JSONValueDecodable.Type { return try direct.init(jsonValue: value) as! T }
        // Fast paths for the common scalar types.
        switch value {
        case .int(let i):
            if T.self == Int64.self { return i as! T }
            if T.self == Int.self { return Int(i) as! T }
            if T.self == Double.self { return Double(i) as! T }
        case .double(let d):
            if T.self == Double.self { return d as! T }
        case .string(let s):
            if T.self == String.self { return s as! T }
        case .bool(let b):
            if T.self == Bool.self { return b as! T }
        default: break
        }
        return try JSONDecoder().decode(T.self, from: Data(encode(value)))
    }

    /// Converts an `Encodable` value into a ``JSONValue``.
    public static func value<T: Encodable>(of value: T) throws -> JSONValue {
        if let v = value as? JSONValue { return v }
        if let v = value as? any JSONValueEncodable { return v.jsonValue }
        if let v = value as? Int { return .int(Int64(v)) }
        if let v = value as? Int64 { return .int(v) }
        if let v = value as? String { return .string(v) }
        if let v = value as? Double { return .double(v) }
        if let v = value as? Bool { return .bool(v) }
        return try parse(encode(value))
    }
}

/// A type that reads itself straight from a ``JSONValue`` — task arguments of such types skip
/// `JSONDecoder` (a measurable cost per task for small argument types). Its `Decodable`
/// conformance must accept the same JSON.
public protocol JSONValueDecodable: Decodable {
    /// Reads the value; throws `DecodingError` (or any error) when the JSON does not fit.
    init(jsonValue: JSONValue) throws
}

/// A type that writes itself straight into a ``JSONValue`` (task results skip `JSONEncoder`).
/// Its `Encodable` conformance must produce the same JSON.
public protocol JSONValueEncodable: Encodable {
    /// The value as JSON.
    var jsonValue: JSONValue { get }
}
