internal import CMongoC
import Celery

extension MongoCollectionHandle {
    /// One replace-upsert of a bulk write.
    struct BulkReplace {
        var filter: [BSONField]
        var replacement: BSONDocument
    }

    /// Runs every replace-upsert in one unordered bulk write (`ordered: false`, one round trip
    /// per 100 000 operations or 48 MB); returns each operation's outcome in order. A
    /// duplicate-key error (E11000: the filter matched nothing while a document with that
    /// `_id` exists) is that operation's `.duplicateKey`; any other write error, or a failure
    /// of the whole command (no server, a network error), throws ``CeleryError`` and says
    /// nothing about which operations were applied.
    func bulkReplace(_ ops: [BulkReplace], options: [BSONField]) throws -> [UpsertOutcome] {
        guard !ops.isEmpty else { return [] }
        let opts = try BSONDocument([BSONField("ordered", .bool(false))] + options)
        guard let bulk = mongoc_collection_create_bulk_operation_with_opts(pointer, opts.pointer) else {
            throw CeleryError(.server, "cannot create a bulk write on \(name)")
        }
        defer { mongoc_bulk_operation_destroy(bulk) }
        let upsert = try BSONDocument([BSONField("upsert", .bool(true))])
        var error = bson_error_t()
        for op in ops {
            let selector = try BSONDocument(op.filter)
            guard mongoc_bulk_operation_replace_one_with_opts(bulk, selector.pointer, op.replacement.pointer, upsert.pointer, &error) else {
                throw CeleryError(.server, "bulk replace on \(name) refused an operation: \(MongoErrors.message(of: &error))")
            }
        }
        let reply = MongoReply()
        var outcomes = [UpsertOutcome](repeating: .written, count: ops.count)
        if mongoc_bulk_operation_execute(bulk, reply.pointer, &error) != 0 { return outcomes }
        // Failed: only duplicate-key write errors are per-operation outcomes.
        let fields = (try? reply.fields()) ?? []
        guard case .array(let writeErrors)? = fields[field: "writeErrors"], !writeErrors.isEmpty,
            fields[field: "writeConcernErrors"].map({ if case .array(let a) = $0 { a.isEmpty } else { true } }) ?? true
        else {
            throw error.code == 0 ? CeleryError(.server, "bulk write on \(name) failed") : clientError(&error, operation: "bulk write on \(name)")
        }
        for case .document(let e) in writeErrors {
            guard e[field: "code"]?.intValue == 11000, let i = e[field: "index"]?.intValue, i >= 0, Int(i) < ops.count else {
                throw CeleryError(.server, "bulk write on \(name) failed: \(e[field: "errmsg"]?.stringValue ?? "write error \(e[field: "code"]?.intValue ?? -1)")")
            }
            outcomes[Int(i)] = .duplicateKey
        }
        return outcomes
    }
}

extension MongoCollectionHandle {
    /// Inserts every document in one unordered bulk write (no filter, no upsert): the plain
    /// bulk insert the benchmarks compare result writes with. Throws ``CeleryError`` on any error.
    func insertMany(_ documents: [BSONDocument], options: [BSONField] = []) throws {
        guard !documents.isEmpty else { return }
        let opts = try BSONDocument([BSONField("ordered", .bool(false))] + options)
        guard let bulk = mongoc_collection_create_bulk_operation_with_opts(pointer, opts.pointer) else {
            throw CeleryError(.server, "cannot create a bulk write on \(name)")
        }
        defer { mongoc_bulk_operation_destroy(bulk) }
        var error = bson_error_t()
        for d in documents {
            guard mongoc_bulk_operation_insert_with_opts(bulk, d.pointer, nil, &error) else {
                throw CeleryError(.server, "bulk insert on \(name) refused a document: \(MongoErrors.message(of: &error))")
            }
        }
        let reply = MongoReply()
        guard mongoc_bulk_operation_execute(bulk, reply.pointer, &error) != 0 else {
            throw clientError(&error, operation: "bulk insert on \(name)")
        }
    }
}
