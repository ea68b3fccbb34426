import ArgumentParser
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// What a worker hosts: an application's tasks.
public protocol TaskProvider {
    /// The app name shown in the banner.
    static var appName: String { get }
    /// Registers the tasks on an app.
    static func register(on app: Celery)
    /// Registers the transports the worker may connect with (called before connecting):
    /// `AllTransports.register()` from `CeleryAllTransports`, or only the ones the app links,
    /// e.g. `RedisTransport.register()`. Default: none (only `memory://`).
    static func registerTransports()
}

extension TaskProvider {
    /// No transport but the built-in `memory://`.
    public static func registerTransports() {}
}

/// `celery-worker`: consume tasks and run them. An application embeds it with its own tasks:
/// `WorkerCommand<MyTasks>.main()`.
public struct WorkerCommand<Tasks: TaskProvider>: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "celery-worker",
            abstract: "Run tasks from queues (competing consumers) and broadcast channels (pub/sub).",
            discussion: """
                SIGTERM/SIGINT: warm shutdown (stop consuming, return prefetched messages, let running tasks finish \
                within --shutdown-timeout). A second signal: cold shutdown (cancel running tasks; their messages \
                return to the queue). Exit status 0 after a clean shutdown, 1 when a server stays unreachable, \
                64 for bad flags or URLs.
                """)
    }

    @OptionGroup public var connection: ConnectionOptions

    @Option(name: [.customShort("c"), .long], help: "Tasks run at once (default: 2 × CPU count, at least 8).")
    public var concurrency: Int = WorkerOptions.defaultConcurrency

    @Option(name: [.customShort("Q"), .long], help: "Queues to consume, comma-separated (queue mode).")
    public var queues: String = "celery"

    @Option(name: .long, help: "Broadcast channels to subscribe, comma-separated (pub/sub mode).")
    public var broadcast: String?

    @Option(name: .customLong("prefetch-multiplier"), help: "Prefetch per consumer = concurrency × this.")
    public var prefetchMultiplier: Int = 4

    @Flag(name: .customLong("acks-early"), help: "Acknowledge before running (at-most-once); default is late (after the result is stored).")
    public var acksEarly = false

    @Option(name: .customLong("max-deliveries"), help: "Dead-letter a message delivered more than this many times.")
    public var maxDeliveries: Int = 5

    @Option(name: .customLong("time-limit"), help: "Hard time limit per task, in seconds (default none).")
    public var timeLimit: Double?

    @Option(name: .customLong("soft-time-limit"), help: "Soft time limit per task, in seconds: the task is cancelled (default none).")
    public var softTimeLimit: Double?

    @Option(name: [.customShort("n"), .long], help: "Worker name (default celery@<host>).")
    public var hostname: String = "celery@\(ProcessInfo.processInfo.hostName)"

    @Flag(name: .customLong("without-events"), help: "Do not send task and worker events.")
    public var withoutEvents = false

    @Option(name: .customLong("events-batch"), help: "Task events per task.multi message (Celery's batching); 1 sends each event alone, for receivers older than Celery 4.")
    public var eventsBatch = EventDispatcher.defaultBatchSize

    @Flag(name: .customLong("nio-executor"), help: """
        Run Swift concurrency on the I/O event loop threads instead of a separate pool: fewer \
        thread switches per task (15–40 % less worker CPU per task measured), but a task that blocks \
        its thread also holds up the connections. Read at start-up by the executable.
        """)
    public var nioExecutor = false

    @Option(name: .customLong("heartbeat-interval"), help: "Seconds between worker heartbeats.")
    public var heartbeatInterval: Double = 2

    @Flag(inversion: .prefixedNo, help: "Store STARTED when a task starts (Celery's task_track_started); --no-track-started saves a result write per task.")
    public var trackStarted = true

    @Option(name: .customLong("visibility-timeout"), help: "Redis: seconds before an unacknowledged message is restored (default: the transport's).")
    public var visibilityTimeout: Int?

    @Option(name: .customLong("max-message-bytes"), help: "Largest accepted message body; bigger ones are dead-lettered.")
    public var maxMessageBytes: Int = 16 << 20

    @Option(name: .customLong("shutdown-timeout"), help: "Seconds a warm shutdown waits for running tasks.")
    public var shutdownTimeout: Double = 30

    @Option(name: .customLong("connect-timeout"), help: "Seconds to keep retrying unreachable servers at startup.")
    public var connectTimeout: Double = 30

    @Option(name: .customLong("default-queue"), help: "Queue of tasks this worker sends (chain steps, callbacks, chord bodies) that name none; Celery's task_default_queue (default celery).")
    public var defaultQueue: String = "celery"

    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics at http://<metrics-address>:<port>/metrics (default: not served).")
    public var metricsPort: Int?

    @Option(name: .customLong("metrics-address"), help: "Address the metrics endpoint listens on.")
    public var metricsAddress: String = "127.0.0.1"

    public init() {}

    public func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard prefetchMultiplier >= 1 else { throw ValidationError("--prefetch-multiplier must be at least 1") }
        guard maxDeliveries >= 1 else { throw ValidationError("--max-deliveries must be at least 1") }
        guard (1...EventDispatcher.bufferLimit).contains(eventsBatch) else { throw ValidationError("--events-batch must be 1–\(EventDispatcher.bufferLimit)") }
        if let t = timeLimit, t <= 0 { throw ValidationError("--time-limit must be positive") }
        if let t = softTimeLimit, t <= 0 { throw ValidationError("--soft-time-limit must be positive") }
        if queueList.isEmpty && broadcastList.isEmpty { throw ValidationError("nothing to consume: give -Q and/or --broadcast") }
        if let p = metricsPort, !(0...65535).contains(p) { throw ValidationError("--metrics-port must be 0–65535") }
    }

    var queueList: [String] { queues.split(separator: ",").map { $0.trimmingCharactersInWhitespace() }.filter { !$0.isEmpty } }
    var broadcastList: [String] {
        (broadcast ?? "").split(separator: ",").map { $0.trimmingCharactersInWhitespace() }.filter { !$0.isEmpty }
    }

    /// The worker options these flags describe.
    public var workerOptions: WorkerOptions {
        var o = WorkerOptions(
            concurrency: concurrency, prefetchMultiplier: prefetchMultiplier, queues: queueList, broadcasts: broadcastList,
            acksLate: !acksEarly, maxDeliveries: maxDeliveries, softTimeLimit: softTimeLimit.map { .seconds(double: $0) },
            hardTimeLimit: timeLimit.map { .seconds(double: $0) }, hostname: hostname, maxMessageBytes: maxMessageBytes,
            shutdownTimeout: .seconds(double: shutdownTimeout), sendEvents: !withoutEvents,
            heartbeatInterval: .seconds(double: heartbeatInterval))
        o.trackStarted = trackStarted
        o.eventsBatchSize = eventsBatch
        return o
    }

    /// The broker URL with `--visibility-timeout` applied (Redis and Sentinel only).
    var effectiveBrokerURL: String {
        var url = connection.brokerURL()
        if let v = visibilityTimeout, url.hasPrefix("redis") || url.hasPrefix("sentinel") {
            url += (url.contains("?") ? "&" : "?") + "visibility_timeout=\(v)"
        }
        return url
    }

    public func run() async throws {
        CommandSupport.bootstrapLogging(connection.level)
        let logger = Logger(label: "celery.worker")
        Tasks.registerTransports()
        // Metrics first: the app and worker make their metric objects when created.
        var metricsServer: PrometheusServer?
        if let port = metricsPort {
            let registry = PrometheusServer.bootstrapMetrics()
            do {
                metricsServer = try await PrometheusServer.bind(host: metricsAddress, port: port, registry: registry, logger: logger)
            } catch let e as CeleryError {
                writeStandardError("celery-worker: \(e.message)\n")
                throw ExitCode(1)
            }
        }
        let app: Celery
        do {
            app = try await CommandSupport.connect(
                name: Tasks.appName, broker: effectiveBrokerURL, backend: connection.backendURL, logger: logger,
                timeout: .seconds(double: connectTimeout), configuration: CeleryConfiguration(defaultRoute: .queue(defaultQueue)))
        } catch let e as CeleryError {
            writeStandardError("celery-worker: \(e.message)\n")
            throw ExitCode(e.kind == .badURL ? 64 : 1)
        }
        Tasks.register(on: app)
        let options = workerOptions
        print(Banner.worker(app: app, options: options, events: !withoutEvents, nioExecutor: nioExecutor))
        fflush(nil)  // the banner goes out now even when stdout is a pipe
        let worker = Worker(app: app, options: options, logger: logger)
        // The group's graceful shutdown (first SIGTERM/SIGINT) is the worker's warm shutdown; a
        // second signal is cold. The worker is listed last so it stops first, while the
        // metrics endpoint still answers.
        do {
            try await ServiceRunner.run([metricsServer].compactMap { $0 } + [worker], logger: logger) { sig, count in
                logger.notice("signal \(sig) received\(count > 1 ? ": cold shutdown" : ": warm shutdown (send again for cold)")")
                if count > 1 { worker.coldShutdown() }
            }
        } catch {
            writeStandardError("celery-worker: \(error)\n")
            try? await app.close()
            throw ExitCode(1)
        }
        try? await app.close()
    }
}
