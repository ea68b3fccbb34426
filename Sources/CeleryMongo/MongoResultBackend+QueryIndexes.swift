import Celery
import Logging

extension MongoResultBackend {
    /// Indexes for browsing history newest first (`date_done` descending, alone and after
    /// `status`, `name`, `worker`), as a monitor such as celery-dashboard needs with
    /// millions of results: without them every page sorts the whole collection. Idempotent
    /// (`createIndexes` on existing indexes does nothing). Returns the warnings for indexes
    /// the server refused; unreachable servers throw.
    public func ensureHistoryIndexes() async throws -> [String] {
        let name = options.taskCollection
        let keys: [[BSONField]] = [
            [BSONField("date_done", .int32(-1))],
            [BSONField("status", .int32(1)), BSONField("date_done", .int32(-1))],
            [BSONField("name", .int32(1)), BSONField("date_done", .int32(-1))],
            [BSONField("worker", .int32(1)), BSONField("date_done", .int32(-1))],
        ]
        return try await executor.run { client in
            var warnings: [String] = []
            for key in keys {
                let indexName = "celery_history_" + key.map(\.key).joined(separator: "_")
                let spec: [BSONField] = [BSONField("key", .document(key)), BSONField("name", .string(indexName))]
                let create = [BSONField("createIndexes", .string(name)), BSONField("indexes", .array([.document(spec)]))]
                switch try client.commandOutcome(create) {
                case .success: continue
                case .failure(let f) where f.error.kind == .connection: throw f.error
                case .failure(let f): warnings.append("index \(indexName) on \(name): \(f.error.message)")
                }
            }
            return warnings
        }
    }
}
