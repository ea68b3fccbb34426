#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Settings of a ``Worker``.
public struct WorkerOptions: Sendable {
    /// Tasks run at once. Default: the number of CPUs.
    public var concurrency: Int
    /// Prefetch per consumer = concurrency × this. Default 4 (Celery's default).
    public var prefetchMultiplier: Int
    /// Queues consumed in queue mode. Default `["celery"]`.
    public var queues: [String]
    /// Broadcast channels subscribed. Default none.
    public var broadcasts: [String]
    /// Acknowledge after the result is stored (default `true`), or before running.
    public var acksLate: Bool
    /// A message delivered more times than this is dead-lettered as poison. Default 5.
    public var maxDeliveries: Int
    /// Default soft time limit for tasks without one. Default none.
    public var softTimeLimit: Duration?
    /// Default hard time limit for tasks without one. Default none.
    public var hardTimeLimit: Duration?
    /// Worker name in results and control replies. Default `celery@<host>`.
    public var hostname: String
    /// Largest accepted message body in bytes; bigger ones are dead-lettered. Default 16 MiB.
    public var maxMessageBytes: Int
    /// How long a warm shutdown waits for running tasks before cancelling them. Default 30 s.
    public var shutdownTimeout: Duration
    /// Whether to listen for remote-control commands (revoke, ping…) on `celery.pidbox`. Default true.
    public var enableControl: Bool
    /// Revoked ids remembered (oldest forgotten first). Default 50 000 (Celery's limit).
    public var maxRevoked: Int
    /// Send task and worker events on `celeryev` (broadcast). Default true.
    public var sendEvents: Bool
    /// Seconds between `worker-heartbeat` events. Default 2 s (Celery's default).
    public var heartbeatInterval: Duration
    /// Task events per `task.multi` message (a JSON list of events, as Celery's own worker
    /// sends them). Default 24 (Celery's `buffer_limit`); 1 sends each event as its own
    /// message, for event receivers older than Celery 4.
    public var eventsBatchSize: Int = EventDispatcher.defaultBatchSize
    /// Store a STARTED state (with `date_started`, pid and hostname) when a task starts, so
    /// clients see it running. Default true; Celery's `task_track_started` defaults to false.
    /// Off saves one result-backend write per task (the final state still records
    /// `date_started` and `runtime`). A task's ``TaskOptions/trackStarted`` wins.
    public var trackStarted: Bool = true
    /// The executor the execution slots prefer; `nil` (default) = the first queue
    /// consumer's ``MessageConsumer/taskExecutor`` if it has one, else Swift's global
    /// executor. Task bodies marked ``TaskOptions/blocking`` run on ``ThreadPoolTaskExecutor/blocking`` anyway.
    public var taskExecutor: (any TaskExecutor)? = nil

    public init(
        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount, prefetchMultiplier: Int = 4,
        queues: [String] = ["celery"], broadcasts: [String] = [], acksLate: Bool = true, maxDeliveries: Int = 5,
        softTimeLimit: Duration? = nil, hardTimeLimit: Duration? = nil,
        hostname: String = "celery@\(ProcessInfo.processInfo.hostName)", maxMessageBytes: Int = 16 << 20,
        shutdownTimeout: Duration = .seconds(30), enableControl: Bool = true, maxRevoked: Int = 50_000,
        sendEvents: Bool = true, heartbeatInterval: Duration = .seconds(2)
    ) {
        self.sendEvents = sendEvents
        self.heartbeatInterval = heartbeatInterval
        self.concurrency = max(1, concurrency)
        self.prefetchMultiplier = max(1, prefetchMultiplier)
        self.queues = queues
        self.broadcasts = broadcasts
        self.acksLate = acksLate
        self.maxDeliveries = max(1, maxDeliveries)
        self.softTimeLimit = softTimeLimit
        self.hardTimeLimit = hardTimeLimit
        self.hostname = hostname
        self.maxMessageBytes = maxMessageBytes
        self.shutdownTimeout = shutdownTimeout
        self.enableControl = enableControl
        self.maxRevoked = maxRevoked
    }

    /// Prefetch per consumer.
    public var prefetch: Int { concurrency * prefetchMultiplier }
}
