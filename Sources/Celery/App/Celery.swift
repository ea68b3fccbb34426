#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// A Celery application: a broker, an optional result backend, registered tasks and routes.
///
/// There is no global default app: create one and pass it where needed.
///
/// ```swift
/// let app = try await Celery(name: "proj", broker: "redis://127.0.0.1:6379/0", backend: "mongodb://127.0.0.1/celery")
/// let add = app.task("tasks.add") { (ctx, x: Int, y: Int) in x + y }
/// let result = try await add.delay(2, 4)
/// print(try await result.get(timeout: .seconds(10)))   // 6
/// ```
public final class Celery: Sendable {
    /// The app name (used in logs).
    public let name: String
    /// The broker that carries messages.
    public let broker: any Broker
    /// Where results are stored; `nil` = results are not stored.
    public let backend: (any ResultBackend)?
    /// App-wide settings.
    public let configuration: CeleryConfiguration
    /// The app's logger.
    public let logger: Logger
    /// Publish and ack latency of the broker (label `transport`; see ``CeleryMetrics``).
    public let transportMetrics: TransportMetrics
    private let tasks = Mutex<[String: RegisteredTask]>([:])
    private let generation = Atomic<Int>(0)

    /// Creates an app over an existing broker and backend.
    public init(
        name: String = "celery", broker: any Broker, backend: (any ResultBackend)? = nil,
        configuration: CeleryConfiguration = CeleryConfiguration(), logger: Logger = Logger(label: "celery")
    ) {
        self.name = name
        self.broker = broker
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
        self.transportMetrics = TransportMetrics(brokerURL: broker.displayURL)
    }

    /// Creates an app from URLs (`memory://`, `redis://`, `amqp://`, `mongodb://`…) through
    /// ``TransportRegistry``.
    public convenience init(
        name: String = "celery", broker: String, backend: String? = nil,
        configuration: CeleryConfiguration = CeleryConfiguration(), logger: Logger = Logger(label: "celery")
    ) async throws {
        let b = try await TransportRegistry.broker(url: broker, logger: logger)
        var rb: (any ResultBackend)?
        if let backend { rb = try await TransportRegistry.backend(url: backend, logger: logger) }
        self.init(name: name, broker: b, backend: rb, configuration: configuration, logger: logger)
    }

    // MARK: Registration

    /// Registers a task over raw JSON arguments.
    public func register(_ task: RegisteredTask) {
        tasks.withLock { $0[task.name] = task }
        generation.add(1, ordering: .releasing)
    }

    /// Changes whenever a task is registered (workers cache lookups until it does).
    var registryGeneration: Int { generation.load(ordering: .acquiring) }

    /// Registers a task whose body takes typed, `Codable` positional arguments and returns a
    /// `Codable` value; returns a handle to call it.
    @discardableResult
    public func task<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (TaskContext, repeat each Argument) async throws -> Output
    ) -> TaskHandle<repeat each Argument, Output> {
        var count = 0
        for _ in repeat (each Argument).self { count += 1 }
        let arity = count
        register(
            RegisteredTask(name: name, options: options) { ctx, args, kwargs in
                var reader = try ArgumentReader(
                    task: name, args: args, kwargs: kwargs, names: options.parameterNames, count: arity)
                let values = (repeat try reader.next((each Argument).self))
                let out = try await body(ctx, repeat each values)
                return try JSONCoding.value(of: out)
            })
        return TaskHandle(name: name, app: self)
    }

    /// The registered task with this name.
    public func registeredTask(_ name: String) -> RegisteredTask? { tasks.withLock { $0[name] } }

    /// Names of all registered tasks, sorted.
    public var registeredTaskNames: [String] { tasks.withLock { $0.keys.sorted() } }

    /// The route for a task: the call's, else the app's routes, else the task's, else the default.
    public func route(for task: String, call: Route? = nil) -> Route {
        call ?? configuration.routes[task] ?? registeredTask(task)?.options.route ?? configuration.defaultRoute
    }

    // MARK: Sending

    /// Sends a task by name (Celery's `send_task`): the task need not be registered here.
    @discardableResult
    public func send(
        task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], options: CallOptions = CallOptions()
    ) async throws -> AsyncResult<JSONValue> {
        var m = TaskMessage(task: task, id: options.taskId ?? UUID().uuidString.lowercased(), args: args, kwargs: kwargs)
        if let eta = options.eta { m.eta = eta }
        if let c = options.countdown { m.eta = Date().addingTimeInterval(c.seconds) }
        m.expires = options.expires
        m.priority = options.priority
        let reg = registeredTask(task)?.options
        m.softTimeLimit = (options.softTimeLimit ?? reg?.softTimeLimit)?.seconds
        m.hardTimeLimit = (options.hardTimeLimit ?? reg?.hardTimeLimit)?.seconds
        m.ignoreResult = options.ignoreResult ?? reg?.ignoreResult ?? false
        m.parentId = options.parentId
        m.rootId = options.rootId ?? m.id
        for (k, v) in options.headers { m.extraHeaders[k] = v }
        m.replyTo = (backend as? any ReplyQueueBackend)?.replyQueue
        let route = self.route(for: task, call: options.route)
        let receipt = try await publish(m, to: route, retry: options.publishRetry)
        return AsyncResult(id: m.id, backend: backend, receipt: receipt)
    }

    /// Publishes a prepared task message, retrying connection errors per `retry`.
    @discardableResult
    ///
    /// The publish runs in an `apply_async/<task>` span whose context goes into the message
    /// headers (see ``TaskTracing``); its latency is recorded per transport.
    public func publish(_ message: TaskMessage, to route: Route, retry: RetryPolicy? = nil) async throws -> PublishReceipt {
        try await TaskTracing.publishing(message, to: route) { try await self.publishTraced($0, to: route, retry: retry) }
    }

    private func publishTraced(_ message: TaskMessage, to route: Route, retry: RetryPolicy?) async throws -> PublishReceipt {
        let bm = try message.brokerMessage()
        var attempt = 0
        while true {
            do {
                let start = ContinuousClock.now
                let receipt = try await broker.publish(bm, to: route)
                transportMetrics.publish.recordSince(start)
                return receipt
            } catch let e as CeleryError where e.kind == .connection {
                guard let retry, attempt < retry.maxRetries else { throw e }
                let d = retry.delay(afterRetries: attempt)
                logger.warning("publish of \(message.task)[\(message.id)] failed (\(e.message)); retrying in \(d.seconds)s")
                attempt += 1
                try await Task.sleep(for: d)
            }
        }
    }

    /// A result handle for a task id.
    public func result<Output: Decodable & Sendable>(id: String, as: Output.Type = JSONValue.self) -> AsyncResult<Output> {
        AsyncResult(id: id, backend: backend, receipt: nil)
    }

    /// Asks every worker to revoke a task (Celery's `control.revoke`): it will not run, or,
    /// with `terminate`, a running copy is cancelled. Sent in broadcast mode on
    /// `celery.pidbox` in Celery's control-message format.
    public func revoke(_ taskId: String, terminate: Bool = false) async throws {
        try await control(method: "revoke", arguments: ["task_id": .string(taskId), "terminate": .bool(terminate), "signal": "SIGTERM"])
    }

    /// Broadcasts a remote-control command to workers (no reply collected).
    public func control(method: String, arguments: [String: JSONValue], destination: [String]? = nil) async throws {
        try await ControlClient(app: self).cast(method, arguments: arguments, destination: destination)
    }

    /// Remote control with replies (`ping`, `inspect`…).
    public var controlClient: ControlClient { ControlClient(app: self) }

    /// Closes the broker and backend.
    public func close() async throws {
        try await broker.close()
        try await backend?.close()
    }
}

/// Names shared by the control channel (Celery's pidbox).
public enum ControlMessage {
    /// The broadcast channel of remote-control commands (Celery's `celery.pidbox`).
    public static let exchange = "celery.pidbox"
}
