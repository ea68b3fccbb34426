import AMQP091
import Celery

/// How ``RabbitMQBroker`` declares queues and recovers from failures.
public struct RabbitMQOptions: Sendable, Hashable {
    /// The kind of work queue to declare.
    public enum QueueType: String, Sendable, Hashable {
        /// A classic queue (RabbitMQ's default; what Celery declares).
        case classic
        /// A replicated quorum queue (`x-queue-type: quorum`); always durable, counts deliveries.
        case quorum
    }

    /// Work-queue type. Default ``QueueType/classic``. URL: `?queue_type=quorum`.
    public var queueType: QueueType
    /// For quorum queues: the server dead-letters a message after this many failed
    /// deliveries (`x-delivery-limit`; a delivery fails when it is rejected or nacked with
    /// requeue, or its channel closes before the ack). Setting it also gives the queue
    /// `x-dead-letter-exchange: <queue>.dlx`, so the message lands in `<queue>.dead_letter`
    /// instead of being dropped. Default `nil` (no limit; the queue is declared exactly as
    /// Celery declares it). URL: `?delivery_limit=N` or `?x_delivery_limit=N`.
    public var deliveryLimit: Int?
    /// The type of each work queue's own exchange `<queue>`: `direct` (Celery's
    /// `task_default_exchange_type`, the default) or `topic` (what Celery's native delayed
    /// delivery needs: set it when Python Celery is configured with
    /// `task_default_exchange_type = "topic"`). URL: `?exchange_type=topic`.
    public var exchangeType: String
    /// For quorum queues: ETA/countdown tasks go through Celery 5.5's native delayed delivery
    /// (the `celery_delayed_0`…`celery_delayed_27` exchanges and queues, see
    /// ``RabbitMQDelayedDelivery``) instead of being held unacknowledged by a worker. Default
    /// `true`. URL: `?native_delayed_delivery=false`.
    public var nativeDelayedDelivery: Bool
    /// Declare the dead-letter exchange `<queue>.dlx` and queue `<queue>.dead_letter`.
    /// Default `true`.
    public var deadLettering: Bool
    /// Also give new work queues `x-dead-letter-exchange: <queue>.dlx`, so
    /// dead-lettering is a server-side `basic.reject`. Default `false`: classic queues are
    /// declared exactly as Celery declares them (no arguments), so a Python Celery worker
    /// declaring the same queue does not fail with 406 PRECONDITION_FAILED; dead-lettering
    /// then publishes to `<queue>.dlx` and acks. Quorum queues with a ``deliveryLimit`` always
    /// get the argument. URL: `?dlx_argument=true`.
    public var classicDeadLetterArgument: Bool
    /// First wait before a consumer reconnects; doubles up to ``reconnectMaxDelay``. Default 0.5 s.
    public var reconnectInitialDelay: Duration
    /// Longest wait between reconnect attempts. Default 2 s: a consumer takes again at most
    /// 2 s after the node answers (an attempt against a node that is down costs one refused
    /// TCP connect).
    public var reconnectMaxDelay: Duration
    /// Broadcast names declared as **topic** exchanges instead of fanout, as Celery declares
    /// them. Default `["celeryev"]`: Celery's event exchange is a topic exchange (events are
    /// published with routing keys such as `task.succeeded`, `worker.heartbeat`), and
    /// declaring it with another type fails with 406 PRECONDITION_FAILED for whichever side
    /// comes second. Publishing to a topic broadcast uses the message's `routing_key`
    /// (``BrokerMessage/extraProperties``); subscribers bind with `#` (every event).
    public var topicExchanges: Set<String>

    /// Creates options.
    public init(
        queueType: QueueType = .classic, deliveryLimit: Int? = nil, exchangeType: String = "direct",
        nativeDelayedDelivery: Bool = true, deadLettering: Bool = true,
        classicDeadLetterArgument: Bool = false,
        reconnectInitialDelay: Duration = .milliseconds(500), reconnectMaxDelay: Duration = .seconds(2),
        topicExchanges: Set<String> = ["celeryev"]
    ) {
        self.queueType = queueType
        self.deliveryLimit = deliveryLimit
        self.exchangeType = exchangeType
        self.nativeDelayedDelivery = nativeDelayedDelivery
        self.deadLettering = deadLettering
        self.classicDeadLetterArgument = classicDeadLetterArgument
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.topicExchanges = topicExchanges
    }

    /// The exchange type of a broadcast route: `topic` for ``topicExchanges``, else `fanout`.
    func broadcastExchangeType(_ name: String) -> String {
        topicExchanges.contains(name) ? "topic" : "fanout"
    }

    /// Whether ETA/countdown tasks use native delayed delivery (quorum queues only, as Celery).
    var usesDelayedDelivery: Bool { queueType == .quorum && nativeDelayedDelivery }

    /// Reads `queue_type`, `delivery_limit` (or `x_delivery_limit`), `exchange_type`,
    /// `native_delayed_delivery` and `dlx_argument` from a URL's query; other options keep
    /// their values.
    public func applying(url: ConnectionURL) throws -> RabbitMQOptions {
        var o = self
        if let t = url.queryValue("queue_type") {
            guard let qt = QueueType(rawValue: t.lowercased()) else {
                throw CeleryError(.badURL, "\(url.masked): queue_type must be 'classic' or 'quorum', got '\(t)'")
            }
            o.queueType = qt
        }
        if let l = url.queryValue("delivery_limit") ?? url.queryValue("x_delivery_limit") {
            guard let n = Int(l), n > 0 else {
                throw CeleryError(.badURL, "\(url.masked): delivery_limit must be a positive integer, got '\(l)'")
            }
            o.deliveryLimit = n
        }
        if let t = url.queryValue("exchange_type") {
            guard ["direct", "topic"].contains(t.lowercased()) else {
                throw CeleryError(.badURL, "\(url.masked): exchange_type must be 'direct' or 'topic', got '\(t)'")
            }
            o.exchangeType = t.lowercased()
        }
        if let d = url.queryValue("dlx_argument") { o.classicDeadLetterArgument = try Self.flag(d, "dlx_argument", url) }
        if let d = url.queryValue("native_delayed_delivery") { o.nativeDelayedDelivery = try Self.flag(d, "native_delayed_delivery", url) }
        return o
    }

    private static func flag(_ value: String, _ name: String, _ url: ConnectionURL) throws -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw CeleryError(.badURL, "\(url.masked): \(name) must be true or false, got '\(value)'")
        }
    }

    /// Arguments for `queue.declare` of a work queue. A quorum queue gets what Celery 5.5
    /// gives it (`x-queue-type: quorum`, durable, not auto-delete, no `x-max-priority`), so a
    /// Python worker declaring the same queue agrees; `x-delivery-limit` and
    /// `x-dead-letter-exchange` only when asked for (a Python worker must then declare the
    /// same `queue_arguments`, or RabbitMQ refuses its declaration with 406).
    func workQueueArguments(queue: String) -> AMQPTable {
        var args: AMQPTable = [:]
        var dlx = classicDeadLetterArgument
        if queueType == .quorum {
            args["x-queue-type"] = .string("quorum")
            if let deliveryLimit {
                args["x-delivery-limit"] = Int32(exactly: deliveryLimit).map(AMQPFieldValue.int32) ?? .int64(Int64(deliveryLimit))
                dlx = true
            }
        }
        if deadLettering, dlx { args["x-dead-letter-exchange"] = .string(RabbitMQNames.deadLetterExchange(queue)) }
        return args
    }
}

/// Names the transport uses on the server.
enum RabbitMQNames {
    /// Dead-letter exchange of a work queue.
    static func deadLetterExchange(_ queue: String) -> String { "\(queue).dlx" }
    /// Dead-letter queue of a work queue.
    static func deadLetterQueue(_ queue: String) -> String { "\(queue).dead_letter" }
}
