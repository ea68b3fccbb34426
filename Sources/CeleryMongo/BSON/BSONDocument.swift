internal import CMongoC

/// An owning wrapper around a heap `bson_t`: created with `bson_new`/`bson_copy`, freed
/// exactly once in `deinit`. Not `Sendable`: it lives on one libmongoc worker thread; values
/// cross threads as `[BSONField]`.
final class BSONDocument {
    /// The owned document.
    let pointer: OpaquePointer

    /// An empty document.
    init() {
        pointer = bson_new()
    }

    /// A deep copy of a document owned by someone else (a cursor, a reply).
    init(copying other: OpaquePointer) {
        pointer = bson_copy(other)
    }

    /// A document built from fields; throws ``CeleryError`` (`badArguments`/`tooLarge`) when
    /// libbson refuses a field (a key with a NUL byte, a document over 2 GB).
    convenience init(_ fields: [BSONField]) throws {
        self.init()
        for field in fields {
            try BSONEncoding.append(field.value, key: field.key, to: pointer, depth: 0)
        }
    }

    deinit {
        bson_destroy(pointer)
    }

    /// The encoded size in bytes.
    var byteCount: Int { Int(cmongoc_bson_length(pointer)) }

    /// The fields, decoded; throws ``CeleryError`` (`decoding`) on corrupt data.
    func fields() throws -> [BSONField] {
        try BSONDecoding.fields(of: pointer)
    }

    /// Canonical extended JSON, for log lines and test diagnostics.
    var extendedJSON: String {
        var length = 0
        guard let text = bson_as_canonical_extended_json(pointer, &length) else { return "<invalid BSON>" }
        defer { bson_free(text) }
        return String(cString: text)
    }

    /// The raw bytes of the document.
    var bytes: [UInt8] {
        guard let data = bson_get_data(pointer) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: byteCount))
    }

    /// A document over raw BSON bytes (copied); `nil` when the bytes are not a valid
    /// BSON document header (libbson checks the length prefix and terminator).
    static func fromBytes(_ bytes: [UInt8]) -> BSONDocument? {
        let copied: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return bson_new_from_data(base, buffer.count)
        }
        guard let copied else { return nil }
        return BSONDocument(adopting: copied)
    }

    private init(adopting pointer: OpaquePointer) {
        self.pointer = pointer
    }
}

