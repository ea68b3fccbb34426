internal import CMongoC
import Celery

/// Owns a `mongoc_collection_t` (destroyed once in `deinit`); keeps its client checked out.
final class MongoCollectionHandle {
    private let client: MongoPooledClient
    let pointer: OpaquePointer
    let name: String

    init(client: MongoPooledClient, pointer: OpaquePointer, name: String) {
        self.client = client
        self.pointer = pointer
        self.name = name
    }

    deinit {
        mongoc_collection_destroy(pointer)
    }

    /// What a conditional upsert did.
    enum UpsertOutcome: Equatable {
        /// Inserted or replaced.
        case written
        /// The filter did not match an existing document with that `_id` (E11000).
        case duplicateKey
    }

    /// `replaceOne(filter, replacement, {upsert: true, writeConcern})`.
    func replaceOne(filter: [BSONField], replacement: BSONDocument, options: [BSONField]) throws -> UpsertOutcome {
        let selector = try BSONDocument(filter)
        let opts = try BSONDocument([BSONField("upsert", .bool(true))] + options)
        let reply = MongoReply()
        var error = bson_error_t()
        if mongoc_collection_replace_one(pointer, selector.pointer, replacement.pointer, opts.pointer, reply.pointer, &error) {
            return .written
        }
        if MongoErrors.isDuplicateKey(error) { return .duplicateKey }
        throw client.error(&error, operation: "replaceOne on \(name)")
    }

    /// The first document matching `filter`, or `nil`.
    func findOne(_ filter: [BSONField]) throws -> [BSONField]? {
        let cursor = try find(filter, options: [BSONField("limit", .int64(1))])
        return try cursor.next()
    }

    /// A cursor over documents matching `filter` (`options`: sort, limit, projection…).
    func find(_ filter: [BSONField], options: [BSONField] = []) throws -> MongoCursor {
        let f = try BSONDocument(filter)
        let o = try BSONDocument(options)
        let c = mongoc_collection_find_with_opts(pointer, f.pointer, o.pointer, nil)!
        return MongoCursor(owner: self, pointer: c, operation: "find on \(name)")
    }

    /// A cursor over an aggregation pipeline.
    func aggregate(_ pipeline: [BSONValue]) throws -> MongoCursor {
        let p = try BSONDocument([BSONField("pipeline", .array(pipeline))])
        let c = mongoc_collection_aggregate(pointer, MONGOC_QUERY_NONE, p.pointer, nil, nil)!
        return MongoCursor(owner: self, pointer: c, operation: "aggregate on \(name)")
    }

    /// Deletes one document; returns how many were deleted (0 or 1).
    @discardableResult
    func deleteOne(_ filter: [BSONField], options: [BSONField] = []) throws -> Int {
        try delete(filter, options: options, many: false)
    }

    /// Deletes every matching document; returns how many.
    @discardableResult
    func deleteMany(_ filter: [BSONField], options: [BSONField] = []) throws -> Int {
        try delete(filter, options: options, many: true)
    }

    private func delete(_ filter: [BSONField], options: [BSONField], many: Bool) throws -> Int {
        let f = try BSONDocument(filter)
        let o = try BSONDocument(options)
        let reply = MongoReply()
        var error = bson_error_t()
        let ok = many
            ? mongoc_collection_delete_many(pointer, f.pointer, o.pointer, reply.pointer, &error)
            : mongoc_collection_delete_one(pointer, f.pointer, o.pointer, reply.pointer, &error)
        guard ok else { throw client.error(&error, operation: "delete on \(name)") }
        return Int(try reply.fields()[field: "deletedCount"]?.intValue ?? 0)
    }

    /// Runs a command on this collection's database (createIndexes, collMod…).
    func command(_ command: [BSONField]) throws -> [BSONField] {
        try client.command(command)
    }
}

/// Owns a `mongoc_cursor_t` (destroyed once in `deinit`); keeps its collection alive.
final class MongoCursor {
    private let owner: MongoCollectionHandle
    private let pointer: OpaquePointer
    private let operation: String

    init(owner: MongoCollectionHandle, pointer: OpaquePointer, operation: String) {
        self.owner = owner
        self.pointer = pointer
        self.operation = operation
    }

    deinit {
        mongoc_cursor_destroy(pointer)
    }

    /// The next document, or `nil` at the end; throws the cursor's error.
    func next() throws -> [BSONField]? {
        var doc: OpaquePointer?
        if mongoc_cursor_next(pointer, &doc), let doc {
            return try BSONDecoding.fields(of: doc)
        }
        var error = bson_error_t()
        if mongoc_cursor_error(pointer, &error) {
            throw owner.clientError(&error, operation: operation)
        }
        return nil
    }

    /// All remaining documents.
    func all() throws -> [[BSONField]] {
        var out: [[BSONField]] = []
        while let d = try next() { out.append(d) }
        return out
    }
}

extension MongoCollectionHandle {
    func clientError(_ error: inout bson_error_t, operation: String) -> CeleryError {
        client.error(&error, operation: operation)
    }
}
