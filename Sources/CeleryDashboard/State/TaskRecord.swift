import Celery
import Foundation

/// What the dashboard knows about one task, merged from events and the result backend.
/// Field names follow Flower's task dictionary.
public struct TaskRecord: Sendable, Hashable {
    /// Task id.
    public var id: String
    /// Task name (`tasks.add`), when known.
    public var name: String?
    /// State: PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, RETRY, REVOKED or custom.
    public var state: String
    /// Positional arguments as Python-style text (events) or JSON text (backend).
    public var args: String?
    /// Keyword arguments, as ``args``.
    public var kwargs: String?
    /// Result text (SUCCESS) or progress meta.
    public var result: String?
    /// Exception text (FAILURE).
    public var exception: String?
    /// Traceback text.
    public var traceback: String?
    /// Worker host name.
    public var worker: String?
    /// Retries so far.
    public var retries: Int?
    /// Seconds the task ran.
    public var runtime: Double?
    /// Unix times (seconds) of each step.
    public var received: Double?
    public var started: Double?
    public var succeeded: Double?
    public var failed: Double?
    public var retried: Double?
    public var revoked: Double?
    /// ETA and expiry as ISO-8601 text.
    public var eta: String?
    public var expires: String?
    /// Parent and root task ids.
    public var parentId: String?
    public var rootId: String?
    /// Child task ids (from the backend's `children`).
    public var children: [String] = []
    /// Queue it came from (extended results).
    public var queue: String?
    /// Time of the latest change (seconds).
    public var timestamp: Double
    /// Raw arguments from the backend (JSON), used to retry the task with the same arguments.
    public var argsJSON: JSONValue?
    /// Raw keyword arguments from the backend (JSON).
    public var kwargsJSON: JSONValue?

    /// Creates a record with an id and a state.
    public init(id: String, state: String, timestamp: Double) {
        self.id = id
        self.state = state
        self.timestamp = timestamp
    }

    /// Whether the state is final (SUCCESS, FAILURE, REVOKED).
    public var isReady: Bool { ["SUCCESS", "FAILURE", "REVOKED"].contains(state) }

    /// A record from a stored result.
    init(meta m: TaskMeta) {
        let t = (m.dateDone ?? m.dateStarted)?.timeIntervalSince1970 ?? 0
        self.init(id: m.taskId, state: m.status.rawValue, timestamp: t)
        name = m.name
        argsJSON = m.args
        kwargsJSON = m.kwargs
        args = m.args.map(\.description)
        kwargs = m.kwargs.map(\.description)
        worker = m.worker
        retries = m.retries
        runtime = m.runtime
        queue = m.queue
        parentId = m.parentId
        started = m.dateStarted?.timeIntervalSince1970
        traceback = m.traceback
        children = m.children.compactMap { c in c.stringValue ?? c.arrayValue?.first?.arrayValue?.first?.stringValue ?? c.arrayValue?.first?.stringValue }
        switch m.status {
        case .success:
            result = m.result.description
            succeeded = m.dateDone?.timeIntervalSince1970
        case .failure:
            if let e = m.error { exception = "\(e.type)(\(PythonRepr.repr(.string(e.message))))" }
            failed = m.dateDone?.timeIntervalSince1970
        case .revoked:
            revoked = m.dateDone?.timeIntervalSince1970
        default:
            if !m.result.isNull { result = m.result.description }
        }
    }

    /// Fills what this record lacks from another one (the backend's copy of a live task).
    mutating func fill(from o: TaskRecord) {
        if name == nil { name = o.name }
        if args == nil { args = o.args }
        if kwargs == nil { kwargs = o.kwargs }
        if argsJSON == nil { argsJSON = o.argsJSON }
        if kwargsJSON == nil { kwargsJSON = o.kwargsJSON }
        if result == nil { result = o.result }
        if exception == nil { exception = o.exception }
        if traceback == nil { traceback = o.traceback }
        if worker == nil { worker = o.worker }
        if retries == nil { retries = o.retries }
        if runtime == nil { runtime = o.runtime }
        if queue == nil { queue = o.queue }
        if parentId == nil { parentId = o.parentId }
        if children.isEmpty { children = o.children }
        if started == nil { started = o.started }
        if o.isReady && !isReady {
            state = o.state
            succeeded = succeeded ?? o.succeeded
            failed = failed ?? o.failed
            revoked = revoked ?? o.revoked
            timestamp = max(timestamp, o.timestamp)
        }
    }

    /// Flower's task dictionary (`/api/tasks`, `/api/task/info/<id>`).
    public var flowerJSON: JSONValue {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        func d(_ v: Double?) -> JSONValue { v.map(JSONValue.double) ?? .null }
        return .object([
            "uuid": .string(id), "task-id": .string(id), "name": s(name), "state": .string(state),
            "args": s(args), "kwargs": s(kwargs), "result": s(result), "exception": s(exception), "traceback": s(traceback),
            "worker": s(worker), "retries": retries.map { .int(Int64($0)) } ?? .null, "runtime": d(runtime),
            "received": d(received), "started": d(started), "succeeded": d(succeeded), "failed": d(failed),
            "retried": d(retried), "revoked": d(revoked), "eta": s(eta), "expires": s(expires),
            "parent_id": s(parentId), "root_id": s(rootId), "children": .array(children.map(JSONValue.string)),
            "routing_key": s(queue), "timestamp": .double(timestamp), "clock": .null, "client": .null, "exchange": .null,
            "sent": .null,
        ])
    }
}
