import AMQP091
import Celery
import Logging

/// Owns the broker's shared connection: (re)connects on demand, hands out the publishing
/// channels, and declares topology once per connection (the cache is dropped when the
/// connection is replaced, so everything is declared again after a reconnect).
///
/// With a failover list (`amqp://h1//;amqp://h2//`) it connects to one node at a time, as
/// kombu does: a lost connection moves to the next node, and a connect that fails tries each
/// node once (``FailoverCycle``) before the error reaches the caller, whose backoff then runs
/// once per full cycle. Consumers and publishers reconnect through ``current()``, so they all
/// follow the same node.
actor RabbitMQConnectionKeeper {
    /// What was learned when declaring a work queue.
    struct QueueInfo: Sendable {
        /// The queue carries `x-dead-letter-exchange` (else dead-lettering publishes to the
        /// dead-letter exchange itself, then acks).
        var hasDeadLetterExchange: Bool
    }

    /// One configuration per node of the list, in the order given.
    let configurations: [AMQPConfiguration]
    let options: RabbitMQOptions
    let logger: Logger
    private var cycle: FailoverCycle
    /// The node in use (or to try next).
    var configuration: AMQPConfiguration { configurations[cycle.currentIndex] }
    private var connection: AMQPConnection?
    private var connecting: Task<AMQPConnection, any Error>?
    private var publishChannel: AMQPChannel?
    private var queues: [String: QueueInfo] = [:]
    private var exchanges: Set<String> = []
    /// The native delayed-delivery levels were declared on this connection.
    private var delayedTopology = false
    private(set) var closed = false

    /// A keeper for the nodes of `cycle` (one for a single URL); `configurations` are theirs,
    /// in the same order.
    init(configurations: [AMQPConfiguration], cycle: FailoverCycle, options: RabbitMQOptions, logger: Logger) {
        precondition(configurations.count == cycle.nodes.count && !configurations.isEmpty)
        self.configurations = configurations
        self.cycle = cycle
        self.options = options
        self.logger = logger
    }

    /// The open connection, connecting first if there is none: one attempt per node of the
    /// list (one in all for a single URL), each bounded by the connect timeout. Errors are
    /// ``CeleryError`` naming the masked URLs.
    func current() async throws -> AMQPConnection {
        guard !closed else { throw CeleryError(.invalidState, "broker \(configuration.maskedURL) is closed") }
        if let c = connection, c.isOpen { return c }
        if let t = connecting { return try await t.value }
        if connection != nil, cycle.isList {
            // The node in use dropped the connection: go on to the next, as kombu does.
            _ = cycle.advance()
            logger.warning("lost the connection to RabbitMQ; failing over", metadata: ["next": "\(configuration.maskedURL)"])
        }
        if connection != nil { CeleryMetrics.reconnected(transport: "amqp") }
        connection = nil
        publishChannel = nil
        queues = [:]
        exchanges = []
        delayedTopology = false
        let task = Task { try await self.connectToSomeNode() }
        connecting = task
        defer { connecting = nil }
        let c = try await task.value
        connection = c
        return c
    }

    /// Tries the nodes in the cycle's order, starting with the current one, until one accepts.
    private func connectToSomeNode() async throws -> AMQPConnection {
        var failures: [String] = []
        for _ in configurations.indices {
            let config = configuration
            do {
                let c = try await AMQPConnection.connect(config, logger: logger)
                cycle.connected()
                if cycle.isList {
                    logger.info("connected to RabbitMQ node", metadata: ["broker": "\(config.maskedURL)"])
                } else {
                    logger.debug("connected to RabbitMQ", metadata: ["broker": "\(config.maskedURL)"])
                }
                return c
            } catch {
                let reason = RabbitMQMessageMapping.celeryError(error, "cannot connect to RabbitMQ at \(config.maskedURL)")
                guard cycle.isList else { throw reason }
                failures.append(reason.message)
                logger.warning("cannot connect to RabbitMQ node; trying the next", metadata: ["broker": "\(config.maskedURL)"])
                _ = cycle.advance()
            }
        }
        throw CeleryError(.connection, "no RabbitMQ node of the list answered: \(failures.joined(separator: "; "))")
    }

    /// The shared publishing channel (confirm mode).
    func channelForPublishing() async throws -> AMQPChannel {
        let c = try await current()
        if let ch = publishChannel, ch.connection === c { return ch }
        let ch = try await c.openChannel()
        try await ch.confirmSelect()
        publishChannel = ch
        return ch
    }

    /// Forgets a channel that failed so the next call opens a new one.
    func discard(_ ch: AMQPChannel) {
        if publishChannel === ch { publishChannel = nil }
    }

    /// Declares the work queue `queue` Celery's way (durable direct exchange `queue`,
    /// durable queue `queue` bound with routing key `queue`) plus its dead-letter exchange
    /// and queue. A queue that already exists with other arguments (e.g. declared by Python
    /// Celery without `x-dead-letter-exchange`) is used as it is.
    ///
    /// With native delayed delivery (quorum queues) the delay levels are declared first, once
    /// per connection, and the queue is bound to `celery_delayed_delivery`.
    ///
    /// A remote-control reply queue (``ControlReplyQueue``) is declared transient instead, with
    /// no dead-letter companion (``RabbitMQControlQueues``), every time (it is not cached: each
    /// caller has its own and it goes away with it; the reply exchange is declared once per connection).
    func declareQueue(_ queue: String) async throws -> QueueInfo {
        if let info = queues[queue] { return info }
        let c = try await current()
        if let reply = ControlReplyQueue(name: queue) {
            if !exchanges.contains(reply.exchange) {
                try await RabbitMQControlQueues.declareExchange(of: reply, on: c, logger: logger)
                exchanges.insert(reply.exchange)
            }
            try await RabbitMQControlQueues.declareQueue(reply, on: c)
            return QueueInfo(hasDeadLetterExchange: false)
        }
        try await declareDelayedTopology(on: c)
        let info = try await Self.declare(queue: queue, on: c, options: options, logger: logger)
        queues[queue] = info
        return info
    }

    /// Forgets that `queue` was declared, so the next use declares it again (after the server
    /// cancelled a consumer because the queue was deleted).
    func forgetQueue(_ queue: String) {
        queues.removeValue(forKey: queue)
    }

    private func declareDelayedTopology(on c: AMQPConnection) async throws {
        guard options.usesDelayedDelivery, !delayedTopology else { return }
        try await RabbitMQDelayedDelivery.declareTopology(on: c, logger: logger)
        delayedTopology = true
    }

    /// Declares the exchange of a broadcast route as Celery does: fanout (topic for the names in
    /// ``RabbitMQOptions/topicExchanges``, i.e. `celeryev`), durable like kombu's
    /// `Broadcast(name)`, except kombu's remote-control mailboxes (`<ns>.pidbox`), which Celery
    /// declares non-durable. An exchange that already exists with other properties (406) is
    /// used as it is.
    func declareFanout(_ name: String) async throws {
        if exchanges.contains(name) { return }
        let c = try await current()
        let ch = try await c.openChannel()
        let type = options.broadcastExchangeType(name)
        do {
            try await ch.exchangeDeclare(name, type: type, durable: !name.hasSuffix(".pidbox"))
            try? await ch.close()
        } catch let e as AMQPError where e.replyCode == 406 {
            logger.notice("\(type) exchange exists with other properties; using it as declared", metadata: ["exchange": "\(name)"])
            let ch2 = try await c.openChannel()
            try await ch2.exchangeDeclare(.init(exchange: name, type: type, passive: true))
            try? await ch2.close()
        }
        exchanges.insert(name)
    }

    /// Runs `body` on a short-lived channel (for operations whose failure closes the channel).
    func withTemporaryChannel<T: Sendable>(_ body: @Sendable (AMQPChannel) async throws -> T) async throws -> T {
        let ch = try await current().openChannel()
        do {
            let r = try await body(ch)
            try? await ch.close()
            return r
        } catch {
            try? await ch.close()
            throw error
        }
    }

    func close() async {
        closed = true
        let c = connection
        connection = nil
        publishChannel = nil
        try? await c?.close()
    }

    /// The declaration itself, on fresh channels (a 405/406 closes the channel it happens on).
    /// The work queue is declared first:
    /// - accepted → the exchange `queue`, the binding and the dead-letter exchange and queue follow;
    /// - 406 (exists with other arguments, e.g. declared by Python Celery) → used as it is;
    ///   the dead-letter exchange and queue are still declared for the publish-then-ack path;
    /// - 405 (exclusive to another connection, e.g. a Celery `….reply.celery.pidbox` queue)
    ///   → nothing is declared; publishing to it through the default exchange still works.
    static func declare(queue: String, on c: AMQPConnection, options: RabbitMQOptions, logger: Logger) async throws -> QueueInfo {
        let args = options.workQueueArguments(queue: queue)
        let outcome = try await declareTolerant(queue, arguments: args, on: c, logger: logger)
        if outcome == .foreignExclusive { return QueueInfo(hasDeadLetterExchange: false) }
        let exact = outcome == .declared
        let exchangeType = try await declareExchange(queue, type: options.exchangeType, on: c, logger: logger)
        let ch = try await c.openChannel()
        do {
            try await ch.queueBind(queue: queue, exchange: queue, routingKey: queue)
            if options.usesDelayedDelivery {
                try await RabbitMQDelayedDelivery.bind(queue: queue, exchangeType: exchangeType, on: ch)
            }
            if options.deadLettering {
                let dlx = RabbitMQNames.deadLetterExchange(queue), dlq = RabbitMQNames.deadLetterQueue(queue)
                try await ch.exchangeDeclare(dlx, type: "direct", durable: true)
                var dlqArgs: AMQPTable = [:]
                if options.queueType == .quorum { dlqArgs["x-queue-type"] = .string("quorum") }
                if try await declareTolerant(dlq, arguments: dlqArgs, on: c, logger: logger) != .foreignExclusive {
                    try await ch.queueBind(queue: dlq, exchange: dlx, routingKey: queue)
                }
            }
            try? await ch.close()
        } catch {
            try? await ch.close()
            throw error
        }
        return QueueInfo(hasDeadLetterExchange: exact && args["x-dead-letter-exchange"] != nil)
    }

    /// Declares a work queue's durable exchange; returns its type. One that exists with another
    /// type (406, e.g. `topic` declared by Python Celery) is used as it is and reported as
    /// `direct`, the binding that works whatever its type.
    static func declareExchange(_ name: String, type: String, on c: AMQPConnection, logger: Logger) async throws -> String {
        let ch = try await c.openChannel()
        do {
            try await ch.exchangeDeclare(name, type: type, durable: true)
            try? await ch.close()
            return type
        } catch let e as AMQPError where e.replyCode == 406 {
            logger.notice("exchange exists with other properties; using it as declared", metadata: ["exchange": "\(name)", "server": "\(e.replyText ?? "")"])
            let ch2 = try await c.openChannel()
            try await ch2.exchangeDeclare(.init(exchange: name, type: type, passive: true))
            try? await ch2.close()
            return "direct"
        }
    }

    enum Declared: Equatable { case declared, existsWithOtherArguments, foreignExclusive }

    /// Declares a durable queue with `arguments`. If it exists with different arguments
    /// (406 PRECONDITION_FAILED) checks it exists (passive); if another connection holds
    /// it exclusively (405 RESOURCE_LOCKED) says so. Other errors are thrown.
    static func declareTolerant(_ queue: String, arguments: AMQPTable, on c: AMQPConnection, logger: Logger) async throws -> Declared {
        let ch = try await c.openChannel()
        do {
            try await ch.queueDeclare(.init(queue: queue, durable: true, arguments: arguments))
            try? await ch.close()
            return .declared
        } catch let e as AMQPError where e.replyCode == 405 {
            return .foreignExclusive
        } catch let e as AMQPError where e.replyCode == 406 {
            logger.notice(
                "queue exists with other arguments; using it as declared",
                metadata: ["queue": "\(queue)", "server": "\(e.replyText ?? "")"])
            let ch2 = try await c.openChannel()
            do {
                try await ch2.queueDeclare(.init(queue: queue, passive: true))
            } catch let e as AMQPError where e.replyCode == 405 {
                return .foreignExclusive
            }
            try? await ch2.close()
            return .existsWithOtherArguments
        }
    }
}
