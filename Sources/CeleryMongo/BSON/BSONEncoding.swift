internal import CMongoC
import Celery

/// Appends ``BSONValue``s to a `bson_t` with libbson's append functions.
enum BSONEncoding {
    /// Nesting deeper than this is refused before libbson or the server sees it.
    static let maxDepth = 200

    static func append(_ value: BSONValue, key: String, to doc: OpaquePointer, depth: Int) throws {
        guard !key.utf8.contains(0) else {
            throw CeleryError(.badArguments, "BSON field name \(key.debugDescription) contains a NUL byte")
        }
        guard depth <= maxDepth else {
            throw CeleryError(.badArguments, "value nests deeper than \(maxDepth) levels; MongoDB cannot store it")
        }
        let len = Int32(key.utf8.count)
        let ok = try key.withCString { key -> Bool in
            switch value {
            case .double(let d): return bson_append_double(doc, key, len, d)
            case .string(let s): return appendUTF8(s, key: key, len: len, to: doc)
            case .bool(let b): return bson_append_bool(doc, key, len, b)
            case .null: return bson_append_null(doc, key, len)
            case .int32(let i): return bson_append_int32(doc, key, len, i)
            case .int64(let i): return bson_append_int64(doc, key, len, i)
            case .date(let ms): return bson_append_date_time(doc, key, len, ms)
            case .unsupported(let name): return appendUTF8("<\(name)>", key: key, len: len, to: doc)
            case .objectId(let oid):
                guard oid.bytes.count == 12 else { return false }
                var raw = bson_oid_t()
                withUnsafeMutableBytes(of: &raw.bytes) { dst in dst.copyBytes(from: oid.bytes) }
                return bson_append_oid(doc, key, len, &raw)
            case .binary(let subtype, let bytes):
                var padded = bytes
                padded.append(0)  // a valid pointer even for empty data
                return padded.withUnsafeBufferPointer { b in
                    bson_append_binary(doc, key, len, bson_subtype_t(UInt32(subtype)), b.baseAddress, UInt32(bytes.count))
                }
            case .document(let fields):
                return try withChild(of: doc, key: key, len: len, array: false) { child in
                    for f in fields { try append(f.value, key: f.key, to: child, depth: depth + 1) }
                }
            case .array(let items):
                return try withChild(of: doc, key: key, len: len, array: true) { child in
                    for (i, item) in items.enumerated() {
                        try append(item, key: String(i), to: child, depth: depth + 1)
                    }
                }
            }
        }
        guard ok else {
            throw CeleryError(.tooLarge, "libbson refused field '\(key)' (document larger than 2 GB or invalid value)")
        }
    }

    /// Appends a string with its exact UTF-8 length (embedded NUL bytes are kept).
    private static func appendUTF8(_ s: String, key: UnsafePointer<CChar>, len: Int32, to doc: OpaquePointer) -> Bool {
        let count = s.utf8.count
        guard count < Int32.max else { return false }
        return s.withCString { c in bson_append_utf8(doc, key, len, c, Int32(count)) }
    }

    /// Opens a child document/array in 128-byte aligned storage, fills it, and always closes
    /// it (so the parent stays consistent even when filling throws).
    private static func withChild(
        of doc: OpaquePointer, key: UnsafePointer<CChar>, len: Int32, array: Bool,
        _ fill: (OpaquePointer) throws -> Void
    ) throws -> Bool {
        guard let child = cmongoc_bson_storage_new() else { return false }
        defer { cmongoc_storage_free(UnsafeMutableRawPointer(child)) }
        let began = array ? bson_append_array_begin(doc, key, len, child) : bson_append_document_begin(doc, key, len, child)
        guard began else { return false }
        var failure: (any Error)?
        do { try fill(child) } catch { failure = error }
        let ended = array ? bson_append_array_end(doc, child) : bson_append_document_end(doc, child)
        if let failure { throw failure }
        return ended
    }
}
