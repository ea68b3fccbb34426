#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a result backend stores about one task: Celery's task meta.
///
/// ``result`` holds the return value for SUCCESS, the exception description
/// (`{"exc_type", "exc_message", "exc_module"}`) for FAILURE/REVOKED/RETRY and the meta
/// dictionary for custom states such as PROGRESS.
public struct TaskMeta: Sendable, Hashable {
    /// The task id.
    public var taskId: String
    /// The state.
    public var status: TaskState
    /// Value, exception info or progress meta (see the type's description).
    public var result: JSONValue
    /// Traceback-like text for failures.
    public var traceback: String?
    /// Ids of child tasks (Celery stores result tuples here; kept as raw JSON).
    public var children: [JSONValue]
    /// When a ready state was reached; `nil` for other states.
    public var dateDone: Date?
    /// When a worker started the task (our additive field `date_started`).
    public var dateStarted: Date?
    /// Seconds the task ran (our additive field `runtime`).
    public var runtime: Double?
    /// Extended fields (Celery's `result_extended`): task name.
    public var name: String?
    /// Extended: positional arguments.
    public var args: JSONValue?
    /// Extended: keyword arguments.
    public var kwargs: JSONValue?
    /// Extended: hostname of the worker.
    public var worker: String?
    /// Extended: retries so far.
    public var retries: Int?
    /// Extended: queue it came from.
    public var queue: String?
    /// Group id, if the task is part of a group.
    public var groupId: String?
    /// Parent task id.
    public var parentId: String?
    /// Where the task's sender receives results (its `reply_to`), for ``ReplyQueueBackend``s;
    /// not stored.
    public var replyTo: String? = nil

    public init(
        taskId: String, status: TaskState, result: JSONValue = .null, traceback: String? = nil,
        children: [JSONValue] = [], dateDone: Date? = nil, dateStarted: Date? = nil, runtime: Double? = nil,
        name: String? = nil, args: JSONValue? = nil, kwargs: JSONValue? = nil, worker: String? = nil,
        retries: Int? = nil, queue: String? = nil, groupId: String? = nil, parentId: String? = nil
    ) {
        self.taskId = taskId
        self.status = status
        self.result = result
        self.traceback = traceback
        self.children = children
        self.dateDone = dateDone
        self.dateStarted = dateStarted
        self.runtime = runtime
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.worker = worker
        self.retries = retries
        self.queue = queue
        self.groupId = groupId
        self.parentId = parentId
    }

    /// Whether `new` may replace `old` for the same task id: a ready state (SUCCESS,
    /// FAILURE, REVOKED) is never replaced by a state that is not ready, so a stale STARTED
    /// or PROGRESS from a redelivered copy cannot hide a finished result.
    public static func mayReplace(_ old: TaskState?, with new: TaskState) -> Bool {
        guard let old else { return true }
        return !(old.isReady && !new.isReady)
    }

    /// The error described by a FAILURE/REVOKED/RETRY meta, if any.
    public var error: TaskError? {
        guard status == .failure || status == .revoked || status == .retry else { return nil }
        return TaskError(exceptionInfo: result, traceback: traceback, state: status)
    }

    /// Progress meta for custom states (`{current, total}` for PROGRESS).
    public var progress: JSONValue? {
        status.isReady || status == .started || status == .pending ? nil : result
    }
}

extension TaskMeta {
    /// Celery's JSON meta as the Redis backend stores it (`celery-task-meta-<id>`), also the
    /// shape other backends start from. `date_done` is ISO-8601 with offset.
    public func celeryJSON(extended: Bool = true) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "task_id": .string(taskId),
            "status": .string(status.rawValue),
            "result": result,
            "traceback": traceback.map(JSONValue.string) ?? .null,
            "children": .array(children),
            "date_done": dateDone.map { .string(CeleryDate.format($0)) } ?? .null,
        ]
        if let dateStarted { o["date_started"] = .string(CeleryDate.format(dateStarted)) }
        if let runtime { o["runtime"] = .double(runtime) }
        if let groupId { o["group_id"] = .string(groupId) }
        if let parentId { o["parent_id"] = .string(parentId) }
        if extended {
            if let name { o["name"] = .string(name) }
            if let args { o["args"] = args }
            if let kwargs { o["kwargs"] = kwargs }
            if let worker { o["worker"] = .string(worker) }
            if let retries { o["retries"] = .int(Int64(retries)) }
            if let queue { o["queue"] = .string(queue) }
        }
        return o
    }

    /// Reads Celery's JSON meta. Missing fields take their defaults; a missing or non-string
    /// `status` is an error (``CeleryError``), never a crash.
    public init(celeryJSON o: [String: JSONValue], taskId fallbackId: String) throws {
        guard let status = o["status"]?.stringValue else {
            throw CeleryError(.decoding, "result meta for \(fallbackId) has no string 'status'")
        }
        self.init(taskId: o["task_id"]?.stringValue ?? fallbackId, status: TaskState(status))
        result = o["result"] ?? .null
        traceback = o["traceback"]?.stringValue
        children = o["children"]?.arrayValue ?? []
        dateDone = o["date_done"]?.stringValue.flatMap(CeleryDate.parse)
        dateStarted = o["date_started"]?.stringValue.flatMap(CeleryDate.parse)
        runtime = o["runtime"]?.doubleValue
        name = o["name"]?.stringValue
        args = o["args"].flatMap { $0.isNull ? nil : $0 }
        kwargs = o["kwargs"].flatMap { $0.isNull ? nil : $0 }
        worker = o["worker"]?.stringValue
        retries = o["retries"]?.intValue.map(Int.init)
        queue = o["queue"]?.stringValue
        groupId = o["group_id"]?.stringValue
        parentId = o["parent_id"]?.stringValue
    }
}
