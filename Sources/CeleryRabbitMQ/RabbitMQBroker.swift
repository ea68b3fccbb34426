import AMQP091
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// The `amqp://` / `amqps://` transport: Celery's own layout on RabbitMQ.
///
/// - Queue mode: durable direct exchange `<queue>`, durable queue `<queue>` bound with
///   routing key `<queue>`; messages go to the default exchange `""` with routing key
///   `<queue>`, persistent, and every publish waits for the publisher confirm.
///   Consumers use `basic.qos` = prefetch and manual acks; dead-lettering goes to
///   `<queue>.dlx` → `<queue>.dead_letter`. Remote-control reply queues
///   (`<oid>.reply.celery.pidbox`) are transient instead (``RabbitMQControlQueues``).
/// - Broadcast mode: durable fanout exchange `<name>`; each subscriber gets an exclusive
///   auto-delete queue `bcast.<uuid>`. Publishes are `mandatory`: an unroutable message
///   (no subscriber) reports 0 receivers; otherwise the count is unknown (`nil`).
///
/// See Docs/rabbitmq.md for recovery after a lost connection.
public final class RabbitMQBroker: Broker {
    let keeper: RabbitMQConnectionKeeper
    let options: RabbitMQOptions
    let logger: Logger
    /// Broadcast publishes go one at a time so a `basic.return` is matched to its publish.
    private let broadcastGate = AsyncGate()
    private let consumers = Mutex<[ObjectIdentifier: RabbitMQConsumer]>([:])

    /// The broker URL with the password masked.
    public let displayURL: String

    /// Creates a broker for a URL (`amqp://user:pass@host:port/vhost?queue_type=quorum`) or a
    /// `;`-separated failover list of them (Celery's form; `failover_strategy=round-robin`, the
    /// default, or `shuffle`). Options (`queue_type`, …) come from the first node's query.
    /// Nothing connects until first use; call ``connect()`` to fail fast on a bad server.
    public init(url: String, options: RabbitMQOptions = .init(), logger: Logger = Logger(label: "celery.rabbitmq")) throws {
        let parsed = try ConnectionURL(url)
        let cycle = try FailoverCycle(parsed)
        var configs: [AMQPConfiguration] = []
        for node in cycle.nodes {
            do { configs.append(try AMQPConfiguration(url: node.raw)) } catch {
                throw RabbitMQMessageMapping.celeryError(error, "bad broker URL")
            }
        }
        self.options = try options.applying(url: parsed)
        self.logger = logger
        self.displayURL = cycle.isList ? parsed.masked : configs[0].maskedURL
        self.keeper = RabbitMQConnectionKeeper(configurations: configs, cycle: cycle, options: self.options, logger: logger)
    }

    /// Connects now (bounded by the connect timeout); throws ``CeleryError`` (`connection`,
    /// `timeout`) naming `host:port` with the password masked.
    public func connect() async throws {
        _ = try await keeper.current()
    }

    /// The node in use (or to be tried next), password masked: `amqp://user:***@host:port/vhost`.
    /// With a failover list it changes when the connection fails over.
    public func currentNode() async -> String {
        await keeper.configuration.maskedURL
    }

    public func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt {
        let properties = RabbitMQMessageMapping.properties(for: message)
        switch route {
        case .queue(let q) where ControlReplyQueue.isReplyQueue(q):
            // A remote-control reply: nothing is declared, so a reply to a caller that is gone is dropped.
            _ = try await confirmedPublish(exchange: "", routingKey: q, mandatory: false, properties: properties, body: message.body, what: "reply queue '\(q)'")
            return PublishReceipt(receivers: nil, confirmed: true)
        case .queue(let q):
            _ = try await keeper.declareQueue(q)
            if options.usesDelayedDelivery, let delay = RabbitMQDelayedDelivery.delay(of: message) {
                try await publishDelayed(properties: properties, body: message.body, queue: q, delay: delay)
            } else {
                _ = try await confirmedPublish(exchange: "", routingKey: q, mandatory: false, properties: properties, body: message.body, what: "queue '\(q)'")
            }
            return PublishReceipt(receivers: nil, confirmed: true)
        case .broadcast(let name):
            try await keeper.declareFanout(name)
            let key = broadcastRoutingKey(message, name)
            let result = try await broadcastGate.run {
                try await self.confirmedPublish(
                    exchange: name, routingKey: key, mandatory: true, properties: properties, body: message.body, what: "fanout '\(name)'")
            }
            return PublishReceipt(receivers: result.returned == nil ? nil : 0, confirmed: true)
        }
    }

    /// The batch on one channel in one flush, then every confirm awaited (events: the worker
    /// sends them in batches). Not `mandatory`: receivers are not counted. Any unconfirmed
    /// message throws `unconfirmed`.
    public func publish(batch messages: [BrokerMessage], to route: Route) async throws {
        guard !messages.isEmpty else { return }
        let exchange: String
        let keys: [String]
        switch route {
        case .queue(let q):
            if !ControlReplyQueue.isReplyQueue(q) { _ = try await keeper.declareQueue(q) }
            exchange = ""
            keys = Array(repeating: q, count: messages.count)
        case .broadcast(let name):
            try await keeper.declareFanout(name)
            exchange = name
            keys = messages.map { broadcastRoutingKey($0, name) }
        }
        let items = zip(messages, keys).map { (m, k) in
            (exchange: exchange, routingKey: k, properties: RabbitMQMessageMapping.properties(for: m), body: m.body)
        }
        let ch = try await keeper.channelForPublishing()
        let results: [AMQPPublishResult]
        do { results = try await ch.publish(batch: items) } catch {
            await keeper.discard(ch)
            throw CeleryError(.unconfirmed, "publish of \(messages.count) messages to \(route) on \(displayURL) not confirmed; they may or may not be stored: \(error)")
        }
        let unconfirmed = results.filter { !$0.confirmed }.count
        if unconfirmed > 0 {
            throw CeleryError(.unconfirmed, "\(unconfirmed) of \(messages.count) messages to \(route) on \(displayURL) were not confirmed")
        }
    }

    /// Topic broadcasts (celeryev) route on the message's own key, as Celery's events do;
    /// fanouts on their name.
    private func broadcastRoutingKey(_ message: BrokerMessage, _ name: String) -> String {
        options.topicExchanges.contains(name) ? (message.extraProperties["routing_key"]?.stringValue ?? name) : name
    }

    /// Publishes through native delayed delivery: to `celery_delayed_27` with the delay's
    /// routing key (see ``RabbitMQDelayedDelivery``); the message reaches `queue` after `delay`
    /// seconds. Waits for the confirm.
    func publishDelayed(properties: AMQPBasicProperties, body: [UInt8], queue: String, delay: Int) async throws {
        _ = try await confirmedPublish(
            exchange: RabbitMQDelayedDelivery.entryExchange,
            routingKey: RabbitMQDelayedDelivery.routingKey(delay: delay, destination: queue), mandatory: false,
            properties: properties, body: body, what: "delayed delivery (\(delay) s) to queue '\(queue)'")
    }

    /// Publishes and waits for the confirm. Anything but an ack throws `unconfirmed`
    /// (or `connection` when the connection could not even be opened).
    func confirmedPublish(
        exchange: String, routingKey: String, mandatory: Bool, properties: AMQPBasicProperties, body: [UInt8], what: String
    ) async throws -> AMQPPublishResult {
        let ch = try await keeper.channelForPublishing()
        do {
            let r = try await ch.publish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body)
            guard r.confirmed else { throw CeleryError(.unconfirmed, "publish to \(what) on \(displayURL) was not confirmed") }
            return r
        } catch let e as CeleryError {
            throw e
        } catch {
            await keeper.discard(ch)
            throw CeleryError(.unconfirmed, "publish to \(what) on \(displayURL) not confirmed; the message may or may not be stored: \(error)")
        }
    }

    public func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer {
        let consumer = RabbitMQConsumer(broker: self, route: route, options: options)
        try await consumer.subscribe(firstAttempt: true)
        consumers.withLock { $0[ObjectIdentifier(consumer)] = consumer }
        return consumer
    }

    func forget(_ consumer: RabbitMQConsumer) {
        _ = consumers.withLock { $0.removeValue(forKey: ObjectIdentifier(consumer)) }
    }

    public func purge(queue: String) async throws -> Int {
        do {
            return try await keeper.withTemporaryChannel { ch in Int(try await ch.queuePurge(queue)) }
        } catch let e as AMQPError where e.replyCode == 404 {
            return 0
        } catch {
            throw RabbitMQMessageMapping.celeryError(error, "purge of queue '\(queue)' on \(displayURL)")
        }
    }

    public func queueLength(_ queue: String) async throws -> Int {
        do {
            return try await keeper.withTemporaryChannel { ch in
                Int(try await ch.queueDeclare(.init(queue: queue, passive: true)).messageCount)
            }
        } catch let e as AMQPError where e.replyCode == 404 {
            return 0
        } catch {
            throw RabbitMQMessageMapping.celeryError(error, "length of queue '\(queue)' on \(displayURL)")
        }
    }

    /// Messages waiting in a queue's dead-letter queue `<queue>.dead_letter`.
    public func deadLetterCount(queue: String) async throws -> Int {
        try await queueLength(RabbitMQNames.deadLetterQueue(queue))
    }

    public func close() async throws {
        let all = consumers.withLock { c in
            defer { c.removeAll() }
            return Array(c.values)
        }
        for c in all { await c.cancel() }
        await keeper.close()
    }
}

/// Runs async operations one at a time (FIFO), without blocking threads.
actor AsyncGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
