#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// What a running task knows about itself (Celery's `self.request`), and what it can do:
/// report progress, change state, ask to be retried, send subtasks.
public struct TaskContext: Sendable {
    /// The task id.
    public let id: String
    /// The task name.
    public let name: String
    /// How many times this task was retried before this run.
    public let retries: Int
    /// Positional arguments as received.
    public let args: [JSONValue]
    /// Keyword arguments as received.
    public let kwargs: [String: JSONValue]
    /// The route it arrived on.
    public let route: Route
    /// Whether the broker delivered it before.
    public let redelivered: Bool
    /// The worker's host name (`celery@host`).
    public let hostname: String
    /// Root and parent ids.
    public let rootId: String?
    public let parentId: String?
    /// Logger with `task_id` and `task_name` metadata.
    public let logger: Logger
    /// The app.
    public let app: Celery
    let startedAt: Date
    let ignoreResult: Bool
    let maxRetriesDefault: Int
    let extended: TaskMeta

    /// Stores a custom state with meta, e.g. `PROGRESS` with `{"current": 3, "total": 10}`.
    /// No effect without a result backend or when results are ignored.
    public func updateState(_ state: TaskState, meta: JSONValue) async throws {
        guard let backend = app.backend, !ignoreResult else { return }
        var m = extended
        m.status = state
        m.result = meta
        m.dateStarted = startedAt
        try await backend.store(m)
    }

    /// Stores `PROGRESS` with `{"current": current, "total": total}`.
    public func progress(current: Int, total: Int) async throws {
        try await updateState(.progress, meta: ["current": .int(Int64(current)), "total": .int(Int64(total))])
    }

    /// An error to throw to retry this task later (Celery's `raise self.retry(...)`).
    /// When `maxRetries` (default: the app's, 3) is reached, it returns a
    /// ``MaxRetriesExceeded`` error instead (or `error`, if given), which is stored as FAILURE.
    public func retry(after delay: Duration? = nil, maxRetries: Int? = nil, error: (any Error)? = nil) -> any Error {
        let limit = maxRetries ?? maxRetriesDefault
        if retries >= limit {
            return error ?? MaxRetriesExceeded(task: name, id: id, retries: retries)
        }
        return RetryRequest(delay: delay, reason: error.map { String(describing: $0) })
    }

    /// Sends another task as a child of this one (parent and root ids set).
    public func send(
        task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], options: CallOptions = CallOptions()
    ) async throws -> AsyncResult<JSONValue> {
        var o = options
        o.parentId = o.parentId ?? id
        o.rootId = o.rootId ?? rootId ?? id
        return try await app.send(task: task, args: args, kwargs: kwargs, options: o)
    }
}

/// Thrown (via ``TaskContext/retry(after:maxRetries:error:)``) to retry a task later.
public struct RetryRequest: Error, Sendable, CustomStringConvertible {
    /// Delay before the retry; `nil` = the app's default (180 s).
    public var delay: Duration?
    /// Why, for the RETRY state.
    public var reason: String?
    public var description: String { "Retry in \(delay.map { "\($0.seconds)s" } ?? "default delay"): \(reason ?? "")" }
}

/// The retry limit was reached.
public struct MaxRetriesExceeded: Error, Sendable, CustomStringConvertible {
    public var task: String
    public var id: String
    public var retries: Int
    public var description: String { "Can't retry \(task)[\(id)] args:() kwargs:{} (max retries \(retries) exceeded)" }
}

/// An error with Celery-style exception details, for tasks that want a specific
/// `exc_type`/`exc_module` in the stored failure (e.g. `ValueError` from `builtins`).
public struct TaskFailure: Error, Sendable, CustomStringConvertible {
    public var type: String
    public var module: String?
    public var message: String
    public init(type: String, module: String? = "builtins", message: String) {
        self.type = type
        self.module = module
        self.message = message
    }
    public var description: String { "\(type): \(message)" }
}
