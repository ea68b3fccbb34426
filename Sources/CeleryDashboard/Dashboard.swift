import Celery
import CeleryAllTransports
import CeleryCommands
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Logging

/// The dashboard's engine, independent of the HTTP server: the app connection, the live
/// state from events, task history from the result backend, queue inspection, and the
/// request handlers. ``DashboardServer`` serves it with Hummingbird; an application can
/// embed either.
public final class Dashboard: Sendable {
    /// The configuration it was started with.
    public let configuration: DashboardConfiguration
    /// The app (broker and result backend) it watches and acts through.
    public let app: Celery
    /// The live cluster from events.
    public let cluster: ClusterState
    let logger: Logger
    let auth: DashboardAuth
    let history: TaskHistory
    let inspector: any QueueInspector
    let live = LiveUpdates()
    let storedCounts = StoredCounts()
    let directory: WorkerDirectory
    let startedAt = Date()
    private let tasks = TaskBox()
    private let dropped = Atomic<Int>(0)
    let actions: ActionLog

    /// Connects to the broker and backend (retrying unreachable servers for up to 30 s);
    /// starts nothing yet (see ``start()``).
    public init(configuration: DashboardConfiguration, logger: Logger = Logger(label: "celery.dashboard")) async throws {
        self.configuration = configuration
        self.logger = logger
        AllTransports.register()
        app = try await CommandSupport.connect(
            name: "celery-dashboard", broker: configuration.brokerURL, backend: configuration.backendURL, logger: logger)
        cluster = ClusterState(taskLimit: configuration.recentTaskLimit, workerGrace: configuration.workerGrace)
        auth = DashboardAuth(credentials: configuration.credentials)
        actions = ActionLog(logger: logger)
        history = TaskHistory(backend: app.backend, backendURL: configuration.backendURL)
        directory = WorkerDirectory(app: app, timeout: configuration.inspectTimeout)
        switch app.broker {
        case is RedisBroker: inspector = try RedisQueueInspector(url: configuration.primaryBrokerURL)
        case let r as RabbitMQBroker:
            inspector = RabbitMQQueueInspector(
                broker: r, brokerURL: configuration.primaryBrokerURL, managementURL: configuration.rabbitManagementURL)
        default: inspector = LengthOnlyInspector(broker: app.broker)
        }
    }

    /// The CSRF token every form must carry (also in every page's `<meta name="csrf-token">`).
    public var csrfToken: String { auth.csrfToken }

    /// Starts listening to events (`celeryev`) and the once-a-second summary for live pages.
    ///
    /// Events pass through a buffer of at most `configuration.eventBufferLimit`: one task
    /// receives them as fast as the broker hands them over, another applies them to the
    /// live state. Under a burst faster than that, the oldest waiting events are dropped
    /// and counted (``eventsDropped``; events are best-effort), so memory stays bounded.
    public func start() async throws {
        let consumer = try await app.broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
        let (buffer, input) = AsyncStream<BrokerMessage>.makeStream(bufferingPolicy: .bufferingNewest(configuration.eventBufferLimit))
        let receiver = Task { [self] in
            while !Task.isCancelled {
                do {
                    guard let d = try await consumer.next() else { break }
                    if case .dropped = input.yield(d.message) { noteDropped() }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("event stream failed: \(error); retrying in 1s")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            input.finish()
            await consumer.cancel()
        }
        let feed = Task { [self] in
            for await message in buffer {
                if Task.isCancelled { break }
                // One event, or a batch (`task.multi`: Celery 4+ workers and ours).
                for e in EventDispatcher.events(in: message) {
                    if let t = cluster.apply(e) { live.publish("task", LiveJSON.task(t)) }
                }
            }
        }
        tasks.add(receiver)
        if let t = history.prepare(logger: logger) { tasks.add(t) }
        let ticker = Task { [self] in
            var n = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                n += 1
                if live.count > 0 { live.publish("summary", LiveJSON.summary(self)) }
                if n % 15 == 0 { live.keepAlive() }
            }
        }
        tasks.add(feed)
        tasks.add(ticker)
    }

    /// Events dropped because more than `configuration.eventBufferLimit` waited to be applied.
    public var eventsDropped: Int { dropped.load(ordering: .relaxed) }

    private func noteDropped() {
        let n = dropped.add(1, ordering: .relaxed).newValue
        if n == 1 || n % 10_000 == 0 {
            logger.warning("events arrive faster than the dashboard applies them; dropping the oldest waiting", metadata: ["dropped": "\(n)", "buffer": "\(configuration.eventBufferLimit)"])
        }
    }

    /// Stops listening and closes connections.
    public func close() async {
        for t in tasks.all() { t.cancel() }
        live.finishAll()
        await inspector.close()
        await history.close()
        try? await app.close()
    }

    /// Queues to list beyond those the broker names: configured, the app's default route,
    /// and every queue a worker consumes.
    func extraQueues(_ replies: [String: [String: JSONValue]]) -> Set<String> {
        var s = Set(configuration.knownQueues)
        if !app.configuration.defaultRoute.isBroadcast { s.insert(app.configuration.defaultRoute.name) }
        s.formUnion(directory.consumedQueues(replies).queues.keys)
        return s
    }

    /// Every queue with its numbers and consumers.
    func queueInfos() async throws -> [QueueInfo] {
        let replies = await directory.replies(expected: onlineWorkers.count)
        let consumed = directory.consumedQueues(replies).queues
        var infos = try await inspector.queues(extra: extraQueues(replies))
        for i in infos.indices { infos[i].consumedBy = consumed[infos[i].name]?.sorted() ?? [] }
        return infos
    }

    /// Workers counted online now.
    var onlineWorkers: [WorkerRecord] {
        let now = Date().timeIntervalSince1970
        return cluster.workers.filter { cluster.isOnline($0, now: now) }
    }
}

/// Background tasks owned by a dashboard.
final class TaskBox: Sendable {
    private let box = Mutex<[Task<Void, Never>]>([])
    func add(_ t: Task<Void, Never>) { box.withLock { $0.append(t) } }
    func all() -> [Task<Void, Never>] { box.withLock { $0 } }
}

import Synchronization
