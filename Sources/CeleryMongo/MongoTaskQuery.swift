import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A query over stored task results (``MongoResultBackend/tasks(_:)``), for the admin CLI
/// and demos. Every criterion is optional; they combine with AND.
public struct MongoTaskQuery: Sendable, Hashable {
    /// Result order.
    public enum Order: Sendable, Hashable {
        /// Most recent first by `date_done`, or `date_started` for unfinished tasks. The default.
        case newestFirst
        /// Oldest first (same times).
        case oldestFirst
        /// Longest `runtime` first; only tasks with a recorded runtime match.
        case slowestFirst
        /// Newest `date_done` first, sorted on the stored field itself (so an index on
        /// `date_done` serves it, on MongoDB and nx-27017 alike); unfinished tasks (no
        /// `date_done`) come after every finished one. Run with `find`, not an aggregation.
        case newestFinishedFirst
    }

    /// Only these states (any of them). Default `nil`: all.
    public var states: [TaskState]?
    /// Only this task name (extended field `name`). Default `nil`: all.
    public var name: String?
    /// Only tasks finished at or after this time. Default `nil`.
    public var doneAfter: Date?
    /// Only tasks finished before this time. Default `nil`.
    public var doneBefore: Date?
    /// When `true`, unfinished tasks (`date_done` null) match the time window by their
    /// `date_started` (the core's ``ResultQuery`` semantics). Default `false`: only finished
    /// tasks match a window.
    public var unfinishedByStartTime: Bool
    /// Order of the results. Default ``Order/newestFirst``.
    public var order: Order
    /// At most this many results (1…10 000). Default 100.
    public var limit: Int
    /// Only tasks that ran on this worker (needs extended results). Default `nil`.
    public var worker: String? = nil
    /// Skip this many matches first (paging done by the server). Default 0.
    public var skip: Int = 0

    /// Creates a query; every parameter has the default described on its property.
    public init(
        states: [TaskState]? = nil, name: String? = nil, doneAfter: Date? = nil, doneBefore: Date? = nil,
        unfinishedByStartTime: Bool = false, order: Order = .newestFirst, limit: Int = 100
    ) {
        self.unfinishedByStartTime = unfinishedByStartTime
        self.states = states
        self.name = name
        self.doneAfter = doneAfter
        self.doneBefore = doneBefore
        self.order = order
        self.limit = limit
    }

    /// The MongoDB filter.
    var filter: [BSONField] {
        var f: [BSONField] = []
        if let states {
            f.append(BSONField("status", .document([BSONField("$in", .array(states.map { .string($0.rawValue) }))])))
        }
        if let name { f.append(BSONField("name", .string(name))) }
        if let worker { f.append(BSONField("worker", .string(worker))) }
        // The window as one condition per bound under $and: the same as {$gte, $lt} in one
        // document, which nx-27017's aggregation $match gets wrong (see Docs/mongodb.md).
        func window(_ field: String) -> [BSONValue] {
            var bounds: [BSONValue] = []
            if let doneAfter { bounds.append(.document([BSONField(field, .document([BSONField("$gte", .date(doneAfter))]))])) }
            if let doneBefore { bounds.append(.document([BSONField(field, .document([BSONField("$lt", .date(doneBefore))]))])) }
            return bounds
        }
        if doneAfter != nil || doneBefore != nil {
            if unfinishedByStartTime {
                f.append(BSONField("$or", .array([
                    .document([BSONField("$and", .array(window("date_done")))]),
                    .document([BSONField("date_done", .null), BSONField("$and", .array(window("date_started")))]),
                ])))
            } else {
                f.append(BSONField("$and", .array(window("date_done"))))
            }
        }
        if order == .slowestFirst {
            f.append(BSONField("runtime", .document([BSONField("$type", .string("number"))])))
        }
        return f
    }

    /// The aggregation pipeline: match, sort (by `runtime`, or by `date_done` falling back
    /// to `date_started` through a temporary field), limit.
    var pipeline: [BSONValue] {
        let limitStage: BSONValue = .document([BSONField("$limit", .int64(Int64(min(max(limit, 1), 10_000))))])
        var stages: [BSONValue] = [.document([BSONField("$match", .document(filter))])]
        switch order {
        case .newestFinishedFirst:
            // Served by find (see findOptions); as a pipeline for completeness.
            stages.append(.document([BSONField("$sort", .document([BSONField("date_done", .int32(-1))]))]))
            if skip > 0 { stages.append(.document([BSONField("$skip", .int64(Int64(skip)))])) }
            stages.append(limitStage)
        case .slowestFirst:
            stages.append(.document([BSONField("$sort", .document([BSONField("runtime", .int32(-1)), BSONField("_id", .int32(1))]))]))
            stages.append(limitStage)
        case .newestFirst, .oldestFirst:
            let time: BSONValue = .document([BSONField("$ifNull", .array([.string("$date_done"), .string("$date_started")]))])
            stages.append(.document([BSONField("$addFields", .document([BSONField("_celery_t", time)]))]))
            let direction: Int32 = order == .newestFirst ? -1 : 1
            stages.append(.document([BSONField("$sort", .document([BSONField("_celery_t", .int32(direction)), BSONField("_id", .int32(1))]))]))
            stages.append(limitStage)
            stages.append(.document([BSONField("$project", .document([BSONField("_celery_t", .int32(0))]))]))
        }
        return stages
    }

    /// `find` options for ``Order/newestFinishedFirst``: sort on `date_done`, skip, limit.
    var findOptions: [BSONField] {
        var o: [BSONField] = [BSONField("sort", .document([BSONField("date_done", .int32(-1))]))]
        if skip > 0 { o.append(BSONField("skip", .int64(Int64(skip)))) }
        o.append(BSONField("limit", .int64(Int64(min(max(limit, 1), 10_000)))))
        return o
    }
}
