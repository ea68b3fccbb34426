import DequeModule
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A task the worker is running now (for `inspect active` and `revoke --terminate`).
public struct ActiveTaskInfo: Sendable {
    /// Task id.
    public var id: String
    /// Task name.
    public var name: String
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: [String: JSONValue]
    /// When it started.
    public var startedAt: Date
    /// Route it came from.
    public var route: Route
    /// Delivery count of the message.
    public var deliveryCount: Int
}

/// A task held until its ETA (for `inspect scheduled`).
public struct ScheduledTaskInfo: Sendable {
    /// Task id.
    public var id: String
    /// Task name.
    public var name: String
    /// When it will run.
    public var eta: Date
}

/// Counters since the worker started (for `inspect stats`).
public struct WorkerStats: Sendable, Codable {
    /// Tasks run, by name.
    public var total: [String: Int] = [:]
    /// Finished with SUCCESS.
    public var succeeded = 0
    /// Finished with FAILURE.
    public var failed = 0
    /// Retried.
    public var retried = 0
    /// Revoked or expired before running.
    public var revoked = 0
    /// Messages rejected as bad input or poison (dead-lettered).
    public var rejected = 0
    /// Broadcast messages received.
    public var broadcastsReceived = 0
}

/// Remembers revoked ids, forgetting the oldest past a limit (bounded memory).
struct RevokedSet {
    private(set) var ids: Set<String> = []
    private var order: Deque<String> = []
    let limit: Int

    init(limit: Int) { self.limit = limit }

    mutating func insert(_ id: String) {
        guard ids.insert(id).inserted else { return }
        order.append(id)
        while order.count > limit, let old = order.popFirst() { ids.remove(old) }
    }

    /// Cheap when nothing is revoked (no hashing).
    func contains(_ id: String) -> Bool { !ids.isEmpty && ids.contains(id) }
}

/// A running task: what `inspect active` shows, how to cancel it, and whether a revoke
/// terminated it.
final class RunningHandle: Sendable {
    let info: ActiveTaskInfo
    let cancel: @Sendable () -> Void
    private let terminatedFlag = Atomic<Bool>(false)
    init(info: ActiveTaskInfo, cancel: @escaping @Sendable () -> Void) {
        self.info = info
        self.cancel = cancel
    }
    /// Marks the run terminated by a revoke (stored as REVOKED) and cancels it.
    func terminate() {
        terminatedFlag.store(true, ordering: .relaxed)
        cancel()
    }
    var terminated: Bool { terminatedFlag.load(ordering: .relaxed) }
}

/// How to cancel a running body, learned once it starts; a cancel that comes first is
/// remembered and applied then.
final class CancelTarget: Sendable {
    private let state = Mutex<(cancelled: Bool, action: (@Sendable () -> Void)?)>((false, nil))

    /// Sets how to cancel; runs it at once if a cancel came first.
    func set(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            s.action = action
            return s.cancelled
        }
        if now { action() }
    }

    func cancel() {
        let action = state.withLock { s -> (@Sendable () -> Void)? in
            s.cancelled = true
            return s.action
        }
        action?()
    }
}

/// One registered task as the worker runs it: looked up once per name (and again only after
/// the app's registry changes), with its run counter, so the per-message path hashes nothing.
final class TaskRuntime: Sendable {
    let task: RegisteredTask
    let generation: Int
    private let runs: Atomic<Int>
    /// The task name's metric objects, made once here.
    let metrics: TaskMetrics
    init(task: RegisteredTask, generation: Int, runs: Int = 0) {
        self.task = task
        self.metrics = TaskMetrics(task: task.name)
        self.generation = generation
        self.runs = Atomic(runs)
    }
    var name: String { task.name }
    func countRun() { runs.add(1, ordering: .relaxed) }
    var runCount: Int { runs.load(ordering: .relaxed) }
}

/// A message held until its ETA.
struct ScheduledEntry: Sendable {
    var info: ScheduledTaskInfo
    var timer: Task<Void, Never>?
    var incoming: Incoming
}

/// The worker's mutable state, kept under one lock. The phase lives in ``WorkerLifecycle``.
struct WorkerState {
    var revoked: RevokedSet
    /// What each execution slot runs now (`nil` = idle); indexed by slot.
    var running: [RunningHandle?]
    /// Each slot's task, so a revoke can cancel a body that runs inline in it.
    var slotTasks: [Task<Void, Never>?]
    var scheduled: [UInt64: ScheduledEntry] = [:]
    var nextToken: UInt64 = 0
    var stats = WorkerStats()
    var runtimes: [String: TaskRuntime] = [:]
    var consumers: [Route: ConsumerEntry] = [:]
    var retiredConsumers: [ConsumerEntry] = []
    var rateLimits: [String: RateLimit] = [:]

    init(revoked: RevokedSet, slots: Int) {
        self.revoked = revoked
        running = Array(repeating: nil, count: slots)
        slotTasks = Array(repeating: nil, count: slots)
    }
}

/// A consumer and the task reading from it.
struct ConsumerEntry: Sendable {
    var route: Route
    var consumer: any MessageConsumer
    var reader: Task<Void, Never>
}

/// Starts of one task name spaced `interval` seconds apart.
struct RateLimit: Sendable {
    var interval: Double
    var next: Double = 0
}

/// A received delivery with its decoded task message (or why it could not be decoded).
struct Incoming: Sendable {
    var delivery: Delivery
    var message: TaskMessage?
    var decodeError: CeleryError?
    var consumer: any MessageConsumer
    var receivedAt: Date
}
