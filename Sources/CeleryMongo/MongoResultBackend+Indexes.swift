import Celery
import Logging

extension MongoResultBackend {
    /// Creates the TTL index on `date_done` in both collections (once per backend, before the
    /// first write), unless ``MongoBackendOptions/resultExpiry`` is `nil`.
    ///
    /// The index is partial (`date_done` of BSON type date) and named `celery_date_done_ttl`,
    /// so it can sit beside the plain `date_done_1` index Python Celery creates. When an index
    /// of that name exists with another lifetime, `collMod` updates it. A server that refuses
    /// TTL indexes is logged and tolerated: results then expire only through
    /// ``cleanup(olderThan:)``. Unreachable servers throw (the write that triggered it fails).
    func prepareIfNeeded() async throws {
        guard !indexesAreReady else { return }
        guard let expiry = options.resultExpiry else {
            markIndexesReady()
            return
        }
        let seconds = Int32(clamping: expiry.components.seconds)
        let names = [options.taskCollection, options.groupCollection]
        let warnings: [String] = try await executor.run { client in
            var warnings: [String] = []
            for name in names {
                let spec: [BSONField] = [
                    BSONField("key", .document([BSONField("date_done", .int32(1))])),
                    BSONField("name", .string(Self.ttlIndexName)),
                    BSONField("expireAfterSeconds", .int32(seconds)),
                    BSONField("partialFilterExpression", .document([
                        BSONField("date_done", .document([BSONField("$type", .string("date"))]))
                    ])),
                ]
                let create = [BSONField("createIndexes", .string(name)), BSONField("indexes", .array([.document(spec)]))]
                switch try client.commandOutcome(create) {
                case .success: continue
                case .failure(let f) where f.error.kind == .connection:
                    throw f.error
                case .failure(let f) where f.code == 85 || f.code == 86:
                    // IndexOptionsConflict / IndexKeySpecsConflict: same name, other lifetime.
                    let mod = [
                        BSONField("collMod", .string(name)),
                        BSONField("index", .document([
                            BSONField("name", .string(Self.ttlIndexName)), BSONField("expireAfterSeconds", .int32(seconds)),
                        ])),
                    ]
                    if case .failure(let m) = try client.commandOutcome(mod) {
                        warnings.append("TTL index on \(name).date_done could not be updated (\(m.error.message))")
                    }
                case .failure(let f):
                    warnings.append("server refused the TTL index on \(name).date_done (\(f.error.message))")
                }
            }
            return warnings
        }
        for w in warnings {
            logger.warning("\(w); finished results expire only through cleanup(olderThan:)", metadata: ["backend": "\(displayURL)"])
        }
        markIndexesReady()
    }
}
