internal import CMongoC
import Celery

/// Reads a `bson_t` into ``BSONField``s with libbson's iterator. Corrupt data and nesting
/// deeper than ``BSONEncoding/maxDepth`` are ``CeleryError`` (`decoding`), never a crash.
enum BSONDecoding {
    static func fields(of doc: OpaquePointer) throws -> [BSONField] {
        let iter = cmongoc_iter_storage_new()!
        defer { cmongoc_storage_free(UnsafeMutableRawPointer(iter)) }
        guard bson_iter_init(iter, doc) else {
            throw CeleryError(.decoding, "invalid BSON document (bad length prefix)")
        }
        return try readFields(iter, depth: 0)
    }

    private static func readFields(_ it: OpaquePointer, depth: Int) throws -> [BSONField] {
        var out: [BSONField] = []
        while bson_iter_next(it) {
            let key = String(cString: bson_iter_key(it))
            out.append(BSONField(key, try value(at: it, depth: depth)))
        }
        let errorOffset = cmongoc_iter_error_offset(it)
        if errorOffset != 0 {
            throw CeleryError(.decoding, "corrupt BSON at byte \(errorOffset)")
        }
        return out
    }

    private static func readArray(_ it: OpaquePointer, depth: Int) throws -> [BSONValue] {
        try readFields(it, depth: depth).map(\.value)
    }

    private static func value(at it: OpaquePointer, depth: Int) throws -> BSONValue {
        let type = bson_iter_type(it)
        switch type {
        case BSON_TYPE_DOUBLE: return .double(bson_iter_double(it))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            guard let p = bson_iter_utf8(it, &length) else { return .string("") }
            let bytes = UnsafeRawBufferPointer(start: p, count: Int(length))
            return .string(String(decoding: bytes, as: UTF8.self))
        case BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY:
            guard depth < BSONEncoding.maxDepth else {
                throw CeleryError(.decoding, "BSON nests deeper than \(BSONEncoding.maxDepth) levels")
            }
            let child = cmongoc_iter_storage_new()!
            defer { cmongoc_storage_free(UnsafeMutableRawPointer(child)) }
            guard bson_iter_recurse(it, child) else {
                throw CeleryError(.decoding, "corrupt nested BSON under '\(String(cString: bson_iter_key(it)))'")
            }
            if type == BSON_TYPE_ARRAY { return .array(try readArray(child, depth: depth + 1)) }
            return .document(try readFields(child, depth: depth + 1))
        case BSON_TYPE_BINARY:
            var subtype = bson_subtype_t(0)
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>?
            bson_iter_binary(it, &subtype, &length, &data)
            let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? []
            return .binary(subtype: UInt8(truncatingIfNeeded: subtype.rawValue), bytes: bytes)
        case BSON_TYPE_OID:
            guard let oid = bson_iter_oid(it) else { return .null }
            let bytes = withUnsafeBytes(of: oid.pointee.bytes) { Array($0) }
            return .objectId(BSONObjectId(bytes: bytes))
        case BSON_TYPE_BOOL: return .bool(bson_iter_bool(it))
        case BSON_TYPE_DATE_TIME: return .date(milliseconds: bson_iter_date_time(it))
        case BSON_TYPE_NULL, BSON_TYPE_UNDEFINED: return .null
        case BSON_TYPE_INT32: return .int32(bson_iter_int32(it))
        case BSON_TYPE_INT64: return .int64(bson_iter_int64(it))
        case BSON_TYPE_DECIMAL128: return .unsupported("decimal128")
        case BSON_TYPE_TIMESTAMP: return .unsupported("timestamp")
        case BSON_TYPE_REGEX: return .unsupported("regex")
        case BSON_TYPE_CODE, BSON_TYPE_CODEWSCOPE: return .unsupported("javascript")
        case BSON_TYPE_SYMBOL: return .unsupported("symbol")
        case BSON_TYPE_DBPOINTER: return .unsupported("dbpointer")
        case BSON_TYPE_MAXKEY: return .unsupported("maxKey")
        case BSON_TYPE_MINKEY: return .unsupported("minKey")
        default: return .unsupported("type 0x\(String(type.rawValue, radix: 16))")
        }
    }
}
