#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Settings of a ``Worker``.
public struct WorkerOptions: Sendable {
    /// Tasks run at once (execution slots). Default ``defaultConcurrency``: 2 × the CPU
    /// count, at least 8.
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
        concurrency: Int = WorkerOptions.defaultConcurrency, prefetchMultiplier: Int = 4,
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

    /// The default number of execution slots: 2 × the CPU count, at least 8.
    ///
    /// Celery's default is the CPU count because each of its slots is a process. A slot here
    /// is an async task on the connection's event loop, which a task awaiting I/O (mail, HTTP,
    /// a database) does not occupy a thread with; bodies marked ``TaskOptions/blocking`` run on
    /// ``ThreadPoolTaskExecutor/blocking``, which has as many threads. With 8 slots the default
    /// prefetch (× 4) is 32 messages: the Redis drain with the CPU count (2 slots, prefetch 8)
    /// ran at about half the rate with twice the CPU per task (Docs/performance.md).
    public static var defaultConcurrency: Int { max(8, 2 * ProcessInfo.processInfo.activeProcessorCount) }
}
