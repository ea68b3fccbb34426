import AMQP091
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// Celery's `rpc://` result backend on RabbitMQ: a worker sends each state of a task as a
/// message (the task meta JSON, `correlation_id` = task id, not persistent) through the default
/// exchange to the queue named in the task's `reply_to`; the client that sent the task
/// declares that queue (durable, auto-delete, `x-expires` = the result expiry) and reads it.
///
/// What it cannot do (as in Celery): results are for the caller alone — another process
/// cannot read them, and nothing is kept once this client is gone; groups cannot be saved,
/// and chords are not supported (Celery refuses them on `rpc://`). Results wait in this
/// client's memory until read with ``forget(_:)``.
///
/// Create it through the URL (``TransportRegistry``), or call ``connect()`` before the first send.
/// URL: `rpc://` uses `CELERY_BROKER_URL` (else `amqp://guest:guest@127.0.0.1:5672/`);
/// `rpc://user:pass@host:port/vhost` names the RabbitMQ server itself.
public final class RabbitMQRPCBackend: ReplyQueueBackend {
    public let displayURL: String
    /// The queue this client's results arrive on (a UUID, like Celery's `thread_oid`).
    public let replyQueue: String
    /// `x-expires` of the reply queue. Default 1 day (Celery's `result_expires`).
    public let expires: Duration
    let configuration: AMQPConfiguration
    let logger: Logger
    private let link: RPCLink
    private let cache = Mutex(Cache())

    struct Cache {
        var results: [String: TaskMeta] = [:]
        var waiters: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
        var next: UInt64 = 0
    }

    /// A backend on the RabbitMQ server at `amqpURL`; connects on first use.
    public init(amqpURL: String, expires: Duration = .seconds(86_400), logger: Logger = Logger(label: "celery.rpc")) throws {
        do { configuration = try AMQPConfiguration(url: amqpURL) } catch {
            throw CeleryError(.badURL, "rpc:// backend: \(error)")
        }
        displayURL = "rpc://" + AMQPConfiguration.mask(amqpURL).drop { $0 != ":" }.dropFirst(3)
        replyQueue = UUID().uuidString.lowercased()
        self.expires = expires
        self.logger = logger
        link = RPCLink(configuration: configuration, logger: logger)
    }

    /// Registers the `rpc` scheme with ``TransportRegistry``.
    public static func register() {
        TransportRegistry.registerBackend(scheme: "rpc") { url, logger in
            let rest = url.raw.dropFirst("rpc://".count)
            let amqp = rest.isEmpty || rest == "/"
                ? (ProcessInfo.processInfo.environment["CELERY_BROKER_URL"].flatMap { $0.hasPrefix("amqp") ? $0 : nil } ?? "amqp://guest:guest@127.0.0.1:5672/")
                : "amqp://" + rest
            let backend = try RabbitMQRPCBackend(amqpURL: String(amqp), logger: logger)
            try await backend.connect()
            return backend
        }
    }

    /// Declares the reply queue and starts reading it. Call it before sending tasks (the URL
    /// factory does): a result sent before the queue exists is dropped by RabbitMQ.
    public func connect() async throws { try await startConsuming() }

    /// Sends the meta to `meta.replyTo`; returns `false` (nothing sent) when the task had no `reply_to`.
    @discardableResult
    public func store(_ meta: TaskMeta) async throws -> Bool {
        guard let to = meta.replyTo, !to.isEmpty else { return false }
        let body = try JSONCoding.encode(JSONValue.object(meta.celeryJSON()))
        let props = AMQPBasicProperties(contentType: "application/json", contentEncoding: "utf-8", deliveryMode: 1, correlationId: meta.taskId)
        try await link.publish(routingKey: to, properties: props, body: body)
        return true
    }

    /// The latest state received for the task (`nil`: none yet).
    public func meta(for taskId: String) async throws -> TaskMeta? {
        try await startConsuming()
        return cache.withLock { $0.results[taskId] }
    }

    /// Drops the received result.
    public func forget(_ taskId: String) async throws { _ = cache.withLock { $0.results.removeValue(forKey: taskId) } }

    /// Waits for a ready state to arrive on the reply queue (pushed, no polling).
    public func waitForReady(_ taskId: String, timeout: Duration) async throws -> TaskMeta? {
        try await startConsuming()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let current = cache.withLock { $0.results[taskId] }
            if let current, current.status.isReady { return current }
            if ContinuousClock.now >= deadline { return current }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Task.sleep(until: deadline, clock: .continuous) }
                group.addTask { await self.nextResult(taskId) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Celery cannot save groups on `rpc://`; neither can we.
    public func storeGroup(id: String, taskIds: [String]) async throws {
        throw CeleryError(.invalidState, "rpc:// results cannot save groups (group \(id))")
    }

    public func group(id: String) async throws -> [String]? { nil }

    public func close() async throws { await link.close() }

    private func startConsuming() async throws {
        let args: AMQPTable = ["x-expires": .int64(Int64(expires.components.seconds) * 1000)]
        try await link.consume(queue: replyQueue, arguments: args) { [weak self] m in self?.received(m) }
    }

    private func received(_ m: AMQPMessage) {
        guard case .object(let o)? = try? JSONCoding.parse(m.body), let id = m.properties.correlationId ?? o["task_id"]?.stringValue,
            let meta = try? TaskMeta(celeryJSON: o, taskId: id)
        else {
            logger.warning("rpc:// reply queue \(replyQueue): message that is not a task result ignored")
            return
        }
        let waiters = cache.withLock { c -> [CheckedContinuation<Void, Never>] in
            guard TaskMeta.mayReplace(c.results[id]?.status, with: meta.status) else { return [] }
            c.results[id] = meta
            return c.waiters.removeValue(forKey: id).map { Array($0.values) } ?? []
        }
        for w in waiters { w.resume() }
    }

    private func nextResult(_ taskId: String) async {
        let token = cache.withLock { c -> UInt64 in c.next += 1; return c.next }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
                let now = cache.withLock { c -> Bool in
                    if Task.isCancelled || (c.results[taskId]?.status.isReady ?? false) { return true }
                    c.waiters[taskId, default: [:]][token] = k
                    return false
                }
                if now { k.resume() }
            }
        } onCancel: {
            let w = cache.withLock { $0.waiters[taskId]?.removeValue(forKey: token) }
            w?.resume()
        }
    }
}

/// The rpc backend's AMQP connection: one channel to publish, one consumer on the reply queue.
actor RPCLink {
    let configuration: AMQPConfiguration
    let logger: Logger
    private var connection: AMQPConnection?
    private var publisher: AMQPChannel?
    private var consumer: Task<Void, Never>?

    init(configuration: AMQPConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    private func open() async throws -> AMQPConnection {
        if let c = connection, c.isOpen { return c }
        do {
            let c = try await AMQPConnection.connect(configuration, logger: logger)
            connection = c
            publisher = nil
            consumer = nil
            return c
        } catch { throw CeleryError(.connection, "rpc:// backend: \(error)") }
    }

    func publish(routingKey: String, properties: AMQPBasicProperties, body: [UInt8]) async throws {
        let c = try await open()
        if publisher == nil { publisher = try await c.openChannel() }
        do { try await publisher!.publish(exchange: "", routingKey: routingKey, properties: properties, body: body) } catch {
            publisher = nil
            throw CeleryError(.connection, "rpc:// backend: publishing a result to \(routingKey): \(error)")
        }
    }

    func consume(queue: String, arguments: AMQPTable, _ onMessage: @escaping @Sendable (AMQPMessage) -> Void) async throws {
        if consumer != nil, connection?.isOpen == true { return }
        let c = try await open()
        let ch = try await c.openChannel()
        _ = try await ch.queueDeclare(.init(queue: queue, durable: true, autoDelete: true, arguments: arguments))
        let stream = try await ch.consume(queue: queue, consumerTag: "rpc-\(queue)", noAck: true)
        let logger = self.logger
        consumer = Task {
            do { for try await m in stream { onMessage(m) } } catch { logger.warning("rpc:// reply consumer ended: \(error)") }
        }
    }

    func close() async {
        consumer?.cancel()
        try? await connection?.close()
        connection = nil
    }
}
