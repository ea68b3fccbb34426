#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// kombu's JSON type wrapping: Python sends `datetime`, `date`, `Decimal`, `UUID` and `bytes`
/// as `{"__type__": "<name>", "__value__": …}`. Task arguments and results of type `Date`,
/// `Decimal`, `UUID` and `Data` read that form (and the plain forms: ISO-8601 text, numbers,
/// strings) and are written in it, so a Python peer gets its own types back.
///
/// The wrapping applies to a task's top-level arguments and its result; inside other
/// `Codable` types these values use `JSONEncoder`'s defaults.
public enum KombuJSON {
    /// `{"__type__": type, "__value__": value}`.
    public static func wrap(_ type: String, _ value: JSONValue) -> JSONValue { ["__type__": .string(type), "__value__": value] }

    /// The type name and value of a wrapped value; `nil` when `v` is not wrapped.
    public static func unwrap(_ v: JSONValue) -> (type: String, value: JSONValue)? {
        guard case .object(let o) = v, o.count == 2, let t = o["__type__"]?.stringValue, let value = o["__value__"] else { return nil }
        return (t, value)
    }

    static func mismatch(_ t: Any.Type, _ v: JSONValue) -> DecodingError {
        .typeMismatch(t, .init(codingPath: [], debugDescription: "expected \(t), got \(PythonRepr.repr(v).prefix(100))"))
    }
}

extension Date: JSONValueDecodable, JSONValueEncodable {
    /// Reads kombu's `datetime`/`date`, ISO-8601 text or Unix seconds.
    public init(jsonValue: JSONValue) throws {
        var v = jsonValue
        if let (t, inner) = KombuJSON.unwrap(jsonValue), t == "datetime" || t == "date" { v = inner }
        if let s = v.stringValue {
            guard let d = CeleryDate.parse(s.count == 10 ? s + "T00:00:00" : s) else { throw KombuJSON.mismatch(Date.self, jsonValue) }
            self = d
        } else if let n = v.doubleValue {
            self = Date(timeIntervalSince1970: n)
        } else {
            throw KombuJSON.mismatch(Date.self, jsonValue)
        }
    }

    /// kombu's `{"__type__": "datetime", "__value__": "<ISO-8601 UTC>"}`.
    public var jsonValue: JSONValue { KombuJSON.wrap("datetime", .string(CeleryDate.format(self))) }
}

extension UUID: JSONValueDecodable, JSONValueEncodable {
    /// Reads kombu's `{"__type__": "uuid", "__value__": {"hex": …}}` or a UUID string.
    public init(jsonValue: JSONValue) throws {
        var text = jsonValue.stringValue
        if let (t, inner) = KombuJSON.unwrap(jsonValue), t == "uuid" { text = inner["hex"]?.stringValue ?? inner.stringValue }
        guard var s = text else { throw KombuJSON.mismatch(UUID.self, jsonValue) }
        if s.count == 32 {
            let c = Array(s)
            s = String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20...])
        }
        guard let u = UUID(uuidString: s) else { throw KombuJSON.mismatch(UUID.self, jsonValue) }
        self = u
    }

    /// kombu's `{"__type__": "uuid", "__value__": {"hex": "<32 hex digits>"}}`.
    public var jsonValue: JSONValue {
        KombuJSON.wrap("uuid", ["hex": .string(String(uuidString.lowercased().filter { $0 != "-" }))])
    }
}

extension Decimal: JSONValueDecodable, JSONValueEncodable {
    /// Reads kombu's `{"__type__": "decimal", "__value__": "1.25"}`, a numeric string or a number.
    public init(jsonValue: JSONValue) throws {
        var v = jsonValue
        if let (t, inner) = KombuJSON.unwrap(jsonValue), t == "decimal" { v = inner }
        switch v {
        case .string(let s):
            guard let d = Decimal(string: s) else { throw KombuJSON.mismatch(Decimal.self, jsonValue) }
            self = d
        case .int(let i): self = Decimal(i)
        case .double(let d): self = Decimal(string: "\(d)") ?? Decimal(d)
        default: throw KombuJSON.mismatch(Decimal.self, jsonValue)
        }
    }

    /// kombu's `{"__type__": "decimal", "__value__": "<digits>"}`.
    public var jsonValue: JSONValue { KombuJSON.wrap("decimal", .string(description)) }
}

extension Data: JSONValueDecodable, JSONValueEncodable {
    /// Reads kombu's `bytes` (UTF-8 text) or `base64`, or a plain string as UTF-8.
    public init(jsonValue: JSONValue) throws {
        if let (t, inner) = KombuJSON.unwrap(jsonValue), let s = inner.stringValue {
            switch t {
            case "bytes": self = Data(s.utf8)
            case "base64":
                guard let b = Base64.decode(s) else { throw KombuJSON.mismatch(Data.self, jsonValue) }
                self = Data(b)
            default: throw KombuJSON.mismatch(Data.self, jsonValue)
            }
        } else if let s = jsonValue.stringValue {
            self = Data(s.utf8)
        } else {
            throw KombuJSON.mismatch(Data.self, jsonValue)
        }
    }

    /// kombu's `bytes` when the bytes are UTF-8 text, `base64` otherwise.
    public var jsonValue: JSONValue {
        if let s = String(validating: self, as: UTF8.self) { return KombuJSON.wrap("bytes", .string(s)) }
        return KombuJSON.wrap("base64", .string(Base64.encode(Array(self))))
    }
}
