import Metrics

/// The metrics swift-celery reports through swift-metrics, named in Prometheus style (see
/// Docs/observability.md). Any swift-metrics backend receives them; with none bootstrapped
/// (swift-metrics' no-op default) recording costs a call into an empty handler.
///
/// Metric objects are made once (per task name, per transport, per worker) and kept, so the
/// per-message path looks nothing up by name. Bootstrap the backend (`MetricsSystem.bootstrap`)
/// before creating the ``Celery`` app and the ``Worker``: objects made before it report to the
/// no-op backend for good.
public enum CeleryMetrics {
    /// Counter `celery_tasks_total{task,state}`: tasks that ended, by final state (`SUCCESS`,
    /// `FAILURE`, `RETRY`, `REVOKED`, `REJECTED`).
    public static let tasksTotal = "celery_tasks_total"
    /// Timer (histogram, seconds) `celery_task_runtime_seconds{task}`: how long bodies ran.
    public static let taskRuntime = "celery_task_runtime_seconds"
    /// Timer (histogram, seconds) `celery_task_start_latency_seconds{task}`: from the worker
    /// receiving a message (or, for a task with an ETA, the ETA) to its body starting.
    public static let taskStartLatency = "celery_task_start_latency_seconds"
    /// Timer (histogram, seconds) `celery_publish_latency_seconds{transport}`: one task
    /// message published (until the broker accepted it: publisher confirm on RabbitMQ).
    public static let publishLatency = "celery_publish_latency_seconds"
    /// Timer (histogram, seconds) `celery_ack_latency_seconds{transport}`: one delivery acknowledged.
    public static let ackLatency = "celery_ack_latency_seconds"
    /// Gauge `celery_worker_prefetched_tasks`: received by the worker and not started
    /// (waiting for a slot or an ETA).
    public static let prefetched = "celery_worker_prefetched_tasks"
    /// Gauge `celery_worker_active_tasks`: bodies running now.
    public static let active = "celery_worker_active_tasks"
    /// Counter `celery_broker_reconnects_total{transport}`: broker connections lost and made again.
    public static let reconnects = "celery_broker_reconnects_total"
    /// Counter `celery_events_dropped_total`: task and worker events dropped because the
    /// event buffer was full.
    public static let droppedEvents = "celery_events_dropped_total"

    /// Counts a reconnect of `transport` (`redis`, `amqp`…); for transports (a rare path: the
    /// counter is looked up each time).
    public static func reconnected(transport: String) {
        Counter(label: reconnects, dimensions: [("transport", transport)]).increment()
    }

    /// Counts dropped events.
    static func eventsDropped(_ n: Int) {
        Counter(label: droppedEvents).increment(by: n)
    }

    /// The transport label of a broker URL: its scheme (`redis`, `rediss`, `amqp`, `memory`…).
    static func transport(ofURL url: String) -> String {
        let scheme = url.prefix { $0 != ":" && $0 != ";" }
        return scheme.count < url.count ? scheme.lowercased() : "unknown"
    }
}

/// One task name's metric objects, made once with its ``TaskRuntime``.
final class TaskMetrics: Sendable {
    let succeeded: Counter
    let failed: Counter
    let retried: Counter
    let revoked: Counter
    let runtime: Timer
    let startLatency: Timer

    init(task name: String) {
        func count(_ state: TaskState) -> Counter {
            Counter(label: CeleryMetrics.tasksTotal, dimensions: [("task", name), ("state", state.rawValue)])
        }
        succeeded = count(.success)
        failed = count(.failure)
        retried = count(.retry)
        revoked = count(.revoked)
        runtime = Timer(label: CeleryMetrics.taskRuntime, dimensions: [("task", name)], preferredDisplayUnit: .seconds)
        startLatency = Timer(label: CeleryMetrics.taskStartLatency, dimensions: [("task", name)], preferredDisplayUnit: .seconds)
    }

    /// Counts a task that ended in `state`.
    func ended(_ state: TaskState) {
        switch state {
        case .success: succeeded.increment()
        case .failure: failed.increment()
        case .retry: retried.increment()
        case .revoked: revoked.increment()
        default: break
        }
    }

    /// Counts a message rejected before it ran (bad input: rare, so looked up each time).
    static func rejected(task name: String?) {
        Counter(label: CeleryMetrics.tasksTotal, dimensions: [("task", name ?? "unknown"), ("state", "REJECTED")]).increment()
    }
}

/// A broker's metric objects (label `transport`), made once with the ``Celery`` app.
public final class TransportMetrics: Sendable {
    /// The `transport` label.
    public let transport: String
    let publish: Timer
    let ack: Timer

    /// Metric objects for a broker URL (its scheme is the label).
    public init(brokerURL: String) {
        transport = CeleryMetrics.transport(ofURL: brokerURL)
        publish = Timer(label: CeleryMetrics.publishLatency, dimensions: [("transport", transport)], preferredDisplayUnit: .seconds)
        ack = Timer(label: CeleryMetrics.ackLatency, dimensions: [("transport", transport)], preferredDisplayUnit: .seconds)
    }
}

/// A worker's gauges, made once with the ``Worker``.
final class WorkerMetrics: Sendable {
    let prefetched = Meter(label: CeleryMetrics.prefetched)
    let active = Meter(label: CeleryMetrics.active)
}

extension Timer {
    /// Records the time since `start` (of `ContinuousClock`).
    @inline(__always)
    func recordSince(_ start: ContinuousClock.Instant) {
        let c = (ContinuousClock.now - start).components
        recordNanoseconds(c.seconds &* 1_000_000_000 &+ c.attoseconds / 1_000_000_000)
    }
}
