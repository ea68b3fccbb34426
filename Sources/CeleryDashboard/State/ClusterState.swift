import Celery
import DequeModule
import Foundation
import Synchronization

/// The live cluster from events: workers, the most recent tasks (a bounded ring), counts by
/// task name and state, runtime statistics and the succeeded/failed series. Thread-safe;
/// every method takes the lock briefly. Memory is bounded: at most ``taskLimit`` tasks and
/// ``nameLimit`` task names (further names are counted under `other`).
public final class ClusterState: Sendable {
    /// Most distinct task names tracked in counters.
    public static let nameLimit = 1000

    /// Most tasks kept.
    public let taskLimit: Int
    /// Grace before a silent worker counts as offline (seconds).
    public let workerGrace: Double

    struct State {
        var workers: [String: WorkerRecord] = [:]
        var tasks: [String: TaskRecord] = [:]
        var order: Deque<String> = []
        var counts: [String: [String: Int]] = [:]
        var runtimes: [String: RuntimeStats] = [:]
        var series = ThroughputSeries()
        var events = 0
    }
    let state = Mutex(State())

    /// Creates an empty state.
    public init(taskLimit: Int = 10_000, workerGrace: Duration = .seconds(10)) {
        self.taskLimit = max(1, taskLimit)
        self.workerGrace = Double(workerGrace.components.seconds) + Double(workerGrace.components.attoseconds) / 1e18
    }

    /// Applies one Celery event (`{"type": "task-succeeded", "uuid", …}`); returns the task
    /// it changed, if any. Unknown or malformed events are ignored.
    @discardableResult
    public func apply(_ e: [String: JSONValue]) -> TaskRecord? {
        guard let type = e["type"]?.stringValue else { return nil }
        let host = e["hostname"]?.stringValue
        let ts = e["timestamp"]?.doubleValue ?? Date().timeIntervalSince1970
        return state.withLock { s -> TaskRecord? in
            s.events += 1
            if type.hasPrefix("worker-"), let host {
                var w = s.workers[host] ?? WorkerRecord(
                    hostname: host, lastSeen: ts, freq: 2, active: 0, processed: 0, loadavg: [], software: "", saidOffline: false, failed: 0)
                w.lastSeen = max(w.lastSeen, ts)
                w.freq = e["freq"]?.doubleValue ?? w.freq
                w.active = e["active"]?.intValue.map(Int.init) ?? w.active
                w.processed = e["processed"]?.intValue.map(Int.init) ?? w.processed
                w.loadavg = e["loadavg"]?.arrayValue?.compactMap(\.doubleValue) ?? w.loadavg
                w.software = e["sw_ident"]?.stringValue ?? w.software
                w.saidOffline = type == "worker-offline"
                s.workers[host] = w
                return nil
            }
            guard type.hasPrefix("task-"), let id = e["uuid"]?.stringValue else { return nil }
            if let host, var w = s.workers[host] {
                w.lastSeen = max(w.lastSeen, ts)
                w.saidOffline = false
                if type == "task-failed" { w.failed += 1 }
                s.workers[host] = w
            }
            let newState: String
            switch type {
            case "task-sent": newState = "PENDING"
            case "task-received": newState = "RECEIVED"
            case "task-started": newState = "STARTED"
            case "task-succeeded": newState = "SUCCESS"
            case "task-failed": newState = "FAILURE"
            case "task-retried": newState = "RETRY"
            case "task-revoked": newState = "REVOKED"
            case "task-rejected": newState = "REJECTED"
            default: newState = e["state"]?.stringValue ?? String(type.dropFirst(5)).uppercased()
            }
            var t: TaskRecord
            if let old = s.tasks[id] {
                t = old
                if let n = old.name { Self.bump(&s, name: n, state: old.state, by: -1) }
            } else {
                t = TaskRecord(id: id, state: newState, timestamp: ts)
                s.order.append(id)
                while s.order.count > taskLimit, let oldest = s.order.popFirst() { s.tasks[oldest] = nil }
            }
            // A ready state is never replaced by an older, non-ready one (events may arrive out of order).
            if !(t.isReady && !["SUCCESS", "FAILURE", "REVOKED"].contains(newState)) || s.tasks[id] == nil {
                t.state = newState
            }
            t.timestamp = max(t.timestamp, ts)
            if let n = e["name"]?.stringValue { t.name = n }
            if let a = e["args"]?.stringValue { t.args = a }
            if let k = e["kwargs"]?.stringValue { t.kwargs = k }
            if let h = host { t.worker = h }
            if let r = e["retries"]?.intValue { t.retries = Int(r) }
            if let v = e["eta"]?.stringValue { t.eta = v }
            if let v = e["expires"]?.stringValue { t.expires = v }
            if let v = e["parent_id"]?.stringValue { t.parentId = v }
            if let v = e["root_id"]?.stringValue { t.rootId = v }
            if let v = e["result"]?.stringValue { t.result = v }
            if let v = e["exception"]?.stringValue { t.exception = v }
            if let v = e["traceback"]?.stringValue { t.traceback = v }
            if let v = e["runtime"]?.doubleValue { t.runtime = v }
            switch type {
            case "task-received": t.received = ts
            case "task-started": t.started = ts
            case "task-succeeded": t.succeeded = ts
            case "task-failed": t.failed = ts
            case "task-retried": t.retried = ts
            case "task-revoked": t.revoked = ts
            default: break
            }
            s.tasks[id] = t
            let name = t.name ?? "unknown"
            Self.bump(&s, name: name, state: t.state, by: 1)
            if type == "task-succeeded" || type == "task-failed" {
                s.series.add(at: ts, failed: type == "task-failed")
                if let r = t.runtime {
                    let key = s.runtimes[name] != nil || s.runtimes.count < Self.nameLimit ? name : "other"
                    s.runtimes[key, default: RuntimeStats()].add(r)
                }
            }
            return t
        }
    }

    private static func bump(_ s: inout State, name: String, state: String, by d: Int) {
        let key = s.counts[name] != nil || s.counts.count < nameLimit ? name : "other"
        s.counts[key, default: [:]][state, default: 0] += d
        if s.counts[key]![state]! <= 0 { s.counts[key]![state] = nil }
    }

    /// Every known worker, by host name.
    public var workers: [WorkerRecord] { state.withLock { Array($0.workers.values) }.sorted { $0.hostname < $1.hostname } }

    /// Whether a worker counts as online now.
    public func isOnline(_ w: WorkerRecord, now: Double = Date().timeIntervalSince1970) -> Bool {
        w.isOnline(now: now, grace: workerGrace)
    }

    /// A task kept in memory.
    public func task(_ id: String) -> TaskRecord? { state.withLock { $0.tasks[id] } }

    /// The kept tasks, newest first.
    public var recentTasks: [TaskRecord] {
        state.withLock { s in s.order.reversed().compactMap { s.tasks[$0] } }
    }

    /// Number of tasks kept.
    public var taskCount: Int { state.withLock { $0.tasks.count } }

    /// Events applied so far.
    public var eventCount: Int { state.withLock { $0.events } }

    /// Tasks seen since start, by name and latest state (evicted tasks stay counted).
    public var countsByName: [String: [String: Int]] { state.withLock { $0.counts } }

    /// Runtime histogram and percentiles by task name.
    var runtimes: [String: RuntimeStats] { state.withLock { $0.runtimes } }

    /// The succeeded/failed series of the last hour.
    func series(now: Double) -> [(Int, Int, Int)] { state.withLock { $0.series.window(now: now) } }
}
