import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension BSONValue {
    /// The BSON form of a JSON value: integers as int32 when they fit (else int64), objects
    /// as documents with keys sorted (JSON objects have no order; sorting keeps writes stable).
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .integer(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(BSONValue.init(json:)))
        case .object(let o):
            self = .document(o.keys.sorted().map { BSONField($0, BSONValue(json: o[$0]!)) })
        }
    }

    /// The JSON form of this value. Lossy for types JSON lacks: dates become Celery's ISO-8601
    /// text, ObjectIds their hex text, binary its base64 text, unsupported types `"<name>"`.
    var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int32(let i): return .int(Int64(i))
        case .int64(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.json))
        case .document(let fields):
            var o: [String: JSONValue] = [:]
            for f in fields where o[f.key] == nil { o[f.key] = f.value.json }
            return .object(o)
        case .date: return .string(CeleryDate.format(dateValue!))
        case .objectId(let oid): return .string(oid.description)
        case .binary(_, let bytes): return .string(Data(bytes).base64EncodedString())
        case .unsupported(let name): return .string("<\(name)>")
        }
    }
}
