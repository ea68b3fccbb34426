import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension MongoResultBackend {
    /// Tasks matching `query` (one aggregation). Documents that cannot be read as a task meta
    /// (no string `status`, pickled results) are skipped and logged.
    public func tasks(_ query: MongoTaskQuery) async throws -> [TaskMeta] {
        let collection = options.taskCollection
        let codec = self.codec
        let (metas, skipped) = try await executor.run { client -> ([TaskMeta], [String]) in
            let handle = client.collection(collection)
            let cursor = query.order == .newestFinishedFirst
                ? try handle.find(query.filter, options: query.findOptions) : try handle.aggregate(query.pipeline)
            var metas: [TaskMeta] = []
            var skipped: [String] = []
            while let d = try cursor.next() {
                do { metas.append(try codec.meta(from: d, id: d[field: "_id"]?.json.stringValue ?? "?")) } catch {
                    skipped.append("\(error)")
                }
            }
            return (metas, skipped)
        }
        for s in skipped { logger.warning("skipped an unreadable task document: \(s)") }
        return metas
    }

    /// Tasks in a state, most recently finished first.
    public func tasks(inState state: TaskState, limit: Int = 100) async throws -> [TaskMeta] {
        try await tasks(MongoTaskQuery(states: [state], limit: limit))
    }

    /// Tasks with a name (requires the extended `name` field), most recent first.
    public func tasks(named name: String, limit: Int = 100) async throws -> [TaskMeta] {
        try await tasks(MongoTaskQuery(name: name, limit: limit))
    }

    /// Tasks finished in `[start, end)`, most recent first.
    public func tasks(doneFrom start: Date, to end: Date, limit: Int = 100) async throws -> [TaskMeta] {
        try await tasks(MongoTaskQuery(doneAfter: start, doneBefore: end, limit: limit))
    }

    /// Tasks with the longest `runtime`, longest first.
    public func slowestTasks(limit: Int = 10) async throws -> [TaskMeta] {
        try await tasks(MongoTaskQuery(order: .slowestFirst, limit: limit))
    }

    /// How many stored tasks are in each state (one aggregation); documents without a
    /// string `status` are not counted.
    public func countsByState() async throws -> [TaskState: Int] {
        let collection = options.taskCollection
        let rows = try await executor.run { client in
            let group: BSONValue = .document([
                BSONField("$group", .document([
                    BSONField("_id", .string("$status")),
                    BSONField("count", .document([BSONField("$sum", .int32(1))])),
                ]))
            ])
            return try client.collection(collection).aggregate([group]).all()
        }
        var out: [TaskState: Int] = [:]
        for row in rows {
            guard let s = row[field: "_id"]?.stringValue, let n = row[field: "count"]?.intValue else { continue }
            out[TaskState(s), default: 0] += Int(n)
        }
        return out
    }
}

extension MongoResultBackend: ResultQuerying {
    /// The core's query: state, name, and a window on `date_done` (or `date_started` for
    /// unfinished tasks), newest first.
    public func tasks(matching query: ResultQuery) async throws -> [TaskMeta] {
        try await tasks(MongoTaskQuery(
            states: query.state.map { [$0] }, name: query.name, doneAfter: query.since, doneBefore: query.until,
            unfinishedByStartTime: true, order: .newestFirst, limit: query.limit))
    }

    /// The tasks with the longest recorded `runtime`, slowest first.
    public func slowest(limit: Int) async throws -> [TaskMeta] {
        try await slowestTasks(limit: limit)
    }
}
