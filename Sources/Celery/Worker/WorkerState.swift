import DequeModule
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

    func contains(_ id: String) -> Bool { ids.contains(id) }
}

/// A running task's cancel hook and whether it was terminated by a revoke.
final class RunningHandle: Sendable {
    let info: ActiveTaskInfo
    let cancel: @Sendable () -> Void
    init(info: ActiveTaskInfo, cancel: @escaping @Sendable () -> Void) {
        self.info = info
        self.cancel = cancel
    }
}

/// The worker's mutable state, kept under one lock.
struct WorkerState {
    var revoked: RevokedSet
    var terminated: Set<String> = []
    var active: [String: RunningHandle] = [:]
    var scheduled: [UInt64: (info: ScheduledTaskInfo, timer: Task<Void, Never>?, incoming: Incoming)] = [:]
    var nextToken: UInt64 = 0
    var stats = WorkerStats()
    var stopping = false
    var cold = false
    var consumers: [Route: ConsumerEntry] = [:]
    var retiredConsumers: [ConsumerEntry] = []
    var rateLimits: [String: RateLimit] = [:]
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
