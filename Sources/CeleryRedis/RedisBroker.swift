import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// The `redis://` / `rediss://` broker: kombu's Redis transport, wire-compatible with Python
/// Celery workers and clients, with the loss window between pop and the in-flight record
/// closed (see Docs/redis.md).
///
/// - Queue mode: `LPUSH <queue>` of the JSON envelope (priority lists
///   `<queue>\x06\x16{3,6,9}`), consumers pop atomically into the `unacked` hash and
///   `unacked_index` sorted set, ack removes both, and messages left unacknowledged longer
///   than ``visibilityTimeout`` are pushed back marked redelivered.
/// - Broadcast mode: `PUBLISH /<db>.<exchange>` (or `/<db>.<exchange>/<routing_key>` for a
///   message with a routing key, as kombu's `fanout_patterns`) of the same envelope;
///   subscribers `PSUBSCRIBE` to both forms; the receipt holds Redis' receiver count.
public final class RedisBroker: Broker {
    /// The URL with the password masked.
    public let displayURL: String
    /// How long a delivered message may stay unacknowledged (and untouched) before any
    /// consumer of this broker pushes it back. Default 3600 s (kombu's), URL
    /// `?visibility_timeout=S`.
    public let visibilityTimeout: Duration
    /// Key names.
    public let keys = RedisKeys()
    let configuration: RedisConfiguration
    /// Opens every connection (pool, consumers, subscribers): one server, a failover list or Sentinel.
    let connector: any RedisConnector
    /// `WAIT` after each queue publish (``RedisReplicaWait``), or `nil`.
    let replicaWait: RedisReplicaWait?
    let pool: RedisConnectionPool
    /// The event loop of the pool's connections and of every queue consumer (an actor on
    /// this loop is resumed by a reply without a thread hop).
    let loop: any EventLoop
    let logger: Logger
    private let bound = Mutex<Set<String>>([])
    private let consumers = Mutex<[UInt64: any MessageConsumer]>([:])
    private let nextConsumer = Atomic<UInt64>(0)

    /// The default visibility timeout: 3600 s, as kombu (so a mixed Python/Swift fleet agrees).
    public static let defaultVisibilityTimeout: Duration = .seconds(3600)

    /// Connects (one pooled connection is opened now, so a bad URL, refused `AUTH`, unknown
    /// database or unreachable server fails here with a ``CeleryError`` naming host and port).
    /// `visibilityTimeout` overrides the URL's `visibility_timeout` query parameter.
    ///
    /// `url` is one `redis://`/`rediss://` URL, a `;` failover list of them, or a
    /// `sentinel://…;sentinel://…?master_name=…` list (see ``RedisTarget``); `wait_replicas`
    /// and `wait_timeout_ms` turn on ``RedisReplicaWait``.
    public init(
        url: String, visibilityTimeout: Duration? = nil, maxConnections: Int = 8,
        logger: Logger = Logger(label: "celery.redis")
    ) async throws {
        let target = try RedisTarget(url: url, what: "broker", logger: logger)
        let config = target.configuration
        configuration = config
        connector = target.connector
        displayURL = target.displayURL
        replicaWait = try RedisReplicaWait(config, display: target.displayURL)
        if let visibilityTimeout {
            self.visibilityTimeout = visibilityTimeout
        } else if let v = config.queryValue("visibility_timeout") {
            guard let s = Double(v), s > 0 else {
                throw CeleryError(.badURL, "visibility_timeout '\(v)' in \(config.maskedURL) is not a positive number of seconds")
            }
            self.visibilityTimeout = .milliseconds(Int64(s * 1000))
        } else {
            self.visibilityTimeout = Self.defaultVisibilityTimeout
        }
        self.logger = logger
        loop = MultiThreadedEventLoopGroup.singleton.next()
        pool = RedisConnectionPool(
            configuration: config, connector: target.connector, maxConnections: maxConnections, group: loop, logger: logger)
        let pool = self.pool
        do {
            try await mappingErrors("connecting to the broker", target.displayURL) {
                _ = try await pool.send(["PING"])
            }
        } catch {
            await target.connector.close()
            throw error
        }
    }

    // MARK: Broker

    /// Queue: `LPUSH` of the envelope onto the queue's priority list (binding recorded on first use). Broadcast: `PUBLISH /<db>.<exchange>`; the receipt holds the receiver count.
    public func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt {
        try await mappingErrors("publishing to \(route)", displayURL) {
            var commands = try commands(publishing: [message], to: route)
            let wait = route.isBroadcast ? nil : replicaWait
            if let wait { commands.append(wait.command) }
            var replies = try await pool.pipeline(commands)
            let replicated = wait.map { $0.check(replies.removeLast(), logger: logger) } ?? true
            for case .error(let e) in replies { throw RESPError(.server, e) }
            if case .broadcast = route { return PublishReceipt(receivers: Int(replies.last!.int ?? 0), confirmed: true) }
            return PublishReceipt(receivers: nil, confirmed: replicated)
        }
    }

    /// The batch as one pipeline: `LPUSH`es (queue) or `PUBLISH`es (broadcast), in order, in
    /// one round trip. A server error on any of them is thrown after all were sent.
    public func publish(batch messages: [BrokerMessage], to route: Route) async throws {
        guard !messages.isEmpty else { return }
        try await mappingErrors("publishing \(messages.count) messages to \(route)", displayURL) {
            var commands = try commands(publishing: messages, to: route)
            let wait = route.isBroadcast ? nil : replicaWait
            if let wait { commands.append(wait.command) }
            var replies = try await pool.pipeline(commands)
            if let wait { _ = wait.check(replies.removeLast(), logger: logger) }
            for case .error(let e) in replies { throw RESPError(.server, e) }
        }
    }

    /// The commands that publish `messages` in order: for a queue, the binding `SADD` on first
    /// use and one `LPUSH` per message onto its priority list; for a broadcast, one `PUBLISH`
    /// per message. With a routing key (Celery's events: `task.succeeded`…) kombu publishes on
    /// `/<db>.<exchange>/<routing_key>` (its `fanout_patterns`), which is what Celery's event
    /// receiver (`celery events`, Flower) subscribes to.
    private func commands(publishing messages: [BrokerMessage], to route: Route) throws -> [[RESPValue]] {
        var commands: [[RESPValue]] = []
        commands.reserveCapacity(messages.count + 1)
        switch route {
        case .queue(let queue) where ControlReplyQueue.isReplyQueue(queue):
            // A remote-control reply (kombu's reply exchange): no binding of its own, and the list
            // expires if its caller is gone (kombu's `x-expires` on a reply queue).
            let ttl = RESPValue(Int(ControlReplyQueue.expires.components.seconds * 1000))
            for m in messages {
                let raw = try RedisEnvelope.encode(m, exchange: "", routingKey: queue)
                let list = RedisEnvelope.listKey(queue: queue, step: RedisEnvelope.priorityStep(m.priority))
                commands.append(["LPUSH", RESPValue(list), RESPValue(bytes: raw)])
                commands.append(["PEXPIRE", RESPValue(list), ttl])
            }
        case .queue(let queue):
            if bound.withLock({ $0.insert(queue).inserted }) {
                commands.append([
                    "SADD", RESPValue(RedisKeys.binding(exchange: queue)),
                    RESPValue(RedisKeys.bindingMember(routingKey: queue, queue: queue)),
                ])
            }
            for m in messages {
                let raw = try RedisEnvelope.encode(m, exchange: "", routingKey: queue)
                let list = RedisEnvelope.listKey(queue: queue, step: RedisEnvelope.priorityStep(m.priority))
                commands.append(["LPUSH", RESPValue(list), RESPValue(bytes: raw)])
            }
        case .broadcast(let exchange):
            for m in messages {
                let key = m.extraProperties["routing_key"]?.stringValue ?? ""
                let raw = try RedisEnvelope.encode(m, exchange: exchange, routingKey: key)
                let channel = RedisKeys.fanoutChannel(db: configuration.database, exchange: exchange, routingKey: key)
                commands.append(["PUBLISH", RESPValue(channel), RESPValue(bytes: raw)])
            }
        }
        return commands
    }

    /// Queue: a consumer with its own blocking connection and atomic pops. Broadcast: a subscriber with its own pub/sub connection.
    public func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer {
        let id = nextConsumer.add(1, ordering: .relaxed).newValue
        let consumer: any MessageConsumer = try await mappingErrors("consuming \(route)", displayURL) {
            switch route {
            case .queue(let queue):
                if let reply = ControlReplyQueue(name: queue) {
                    return try await RedisReplyQueueConsumer(broker: self, reply: reply, prefetch: options.prefetch, id: id)
                }
                return await RedisQueueConsumer(broker: self, queue: queue, prefetch: options.prefetch, id: id)
            case .broadcast(let exchange):
                return try await RedisBroadcastConsumer(broker: self, exchange: exchange)
            }
        }
        consumers.withLock { $0[id] = consumer }
        return consumer
    }

    /// Deletes the queue's lists (all priorities) in one transaction; returns how many messages they held.
    public func purge(queue: String) async throws -> Int {
        try await mappingErrors("purging \(queue)", displayURL) {
            let lists = RedisEnvelope.listKeys(queue: queue)
            let commands: [[RESPValue]] = [["MULTI"]] + lists.map { ["LLEN", RESPValue($0)] } + [["DEL"] + lists.map { RESPValue($0) }, ["EXEC"]]
            let replies = try await pool.pipeline(commands)
            guard let counts = replies.last?.array else { throw RESPError(.server, "purge transaction failed: \(replies.last!)") }
            return counts.prefix(lists.count).reduce(0) { $0 + Int($1.int ?? 0) }
        }
    }

    /// Ready messages over the queue's lists (all priorities).
    public func queueLength(_ queue: String) async throws -> Int {
        try await mappingErrors("measuring \(queue)", displayURL) {
            let replies = try await pool.pipeline(RedisEnvelope.listKeys(queue: queue).map { ["LLEN", RESPValue($0)] })
            return replies.reduce(0) { $0 + Int($1.int ?? 0) }
        }
    }

    /// Cancels every consumer (their unacknowledged messages go back) and closes the pool.
    public func close() async throws {
        let all = consumers.withLock { c in defer { c.removeAll() }; return Array(c.values) }
        for c in all { await c.cancel() }
        await pool.close()
        await connector.close()
    }

    func forget(consumer id: UInt64) { _ = consumers.withLock { $0.removeValue(forKey: id) } }

    // MARK: Inspection

    /// Dead-lettered records of a queue, newest first: `{"reason", "queue", "dead_lettered_at", "message"}`.
    public func deadLetters(queue: String) async throws -> [JSONValue] {
        try await mappingErrors("reading dead letters of \(queue)", displayURL) {
            let r = try await pool.send(["LRANGE", RESPValue(RedisKeys.deadLetter(queue: queue)), "0", "-1"])
            return (r.array ?? []).compactMap { $0.bytes.flatMap { try? JSONCoding.parse($0) } }
        }
    }

    /// Number of delivered, unacknowledged messages over all consumers (kombu's `unacked` hash).
    public func unackedCount() async throws -> Int {
        try await mappingErrors("counting unacked", displayURL) { Int(try await pool.send(["HLEN", RESPValue(keys.unacked)]).int ?? 0) }
    }
}
