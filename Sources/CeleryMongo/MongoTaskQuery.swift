import Celery
import Foundation

/// A query over stored task results (``MongoResultBackend/tasks(_:)``), for the admin CLI
/// and demos. Every criterion is optional; they combine with AND.
public struct MongoTaskQuery: Sendable, Hashable {
    /// Result order.
    public enum Order: Sendable, Hashable {
        /// Most recently finished first (`date_done` descending). The default.
        case newestFirst
        /// Oldest finished first.
        case oldestFirst
        /// Longest `runtime` first; only tasks with a recorded runtime match.
        case slowestFirst
    }

    /// Only these states (any of them). Default `nil`: all.
    public var states: [TaskState]?
    /// Only this task name (extended field `name`). Default `nil`: all.
    public var name: String?
    /// Only tasks finished at or after this time. Default `nil`.
    public var doneAfter: Date?
    /// Only tasks finished before this time. Default `nil`.
    public var doneBefore: Date?
    /// Order of the results. Default ``Order/newestFirst``.
    public var order: Order
    /// At most this many results (1…10 000). Default 100.
    public var limit: Int

    /// Creates a query; every parameter has the default described on its property.
    public init(
        states: [TaskState]? = nil, name: String? = nil, doneAfter: Date? = nil, doneBefore: Date? = nil,
        order: Order = .newestFirst, limit: Int = 100
    ) {
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
        var window: [BSONField] = []
        if let doneAfter { window.append(BSONField("$gte", .date(doneAfter))) }
        if let doneBefore { window.append(BSONField("$lt", .date(doneBefore))) }
        if !window.isEmpty { f.append(BSONField("date_done", .document(window))) }
        if order == .slowestFirst {
            f.append(BSONField("runtime", .document([BSONField("$type", .string("number"))])))
        }
        return f
    }

    /// The find options (sort and limit).
    var findOptions: [BSONField] {
        let sort: BSONField
        switch order {
        case .newestFirst: sort = BSONField("date_done", .int32(-1))
        case .oldestFirst: sort = BSONField("date_done", .int32(1))
        case .slowestFirst: sort = BSONField("runtime", .int32(-1))
        }
        return [
            BSONField("sort", .document([sort, BSONField("_id", .int32(1))])),
            BSONField("limit", .int64(Int64(min(max(limit, 1), 10_000)))),
        ]
    }
}
