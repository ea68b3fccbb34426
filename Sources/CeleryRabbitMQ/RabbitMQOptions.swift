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
    /// deliveries (`x-delivery-limit`). Default `nil` (no limit). URL: `?delivery_limit=N`.
    public var deliveryLimit: Int?
    /// Declare the dead-letter exchange `<queue>.dlx` and queue `<queue>.dead_letter`.
    /// Default `true`.
    public var deadLettering: Bool
    /// Also give new **classic** work queues `x-dead-letter-exchange: <queue>.dlx`, so
    /// dead-lettering is a server-side `basic.reject`. Default `false`: classic queues are
    /// declared exactly as Celery declares them (no arguments), so a Python Celery worker
    /// declaring the same queue does not fail with 406 PRECONDITION_FAILED; dead-lettering
    /// then publishes to `<queue>.dlx` and acks. Quorum queues always get the argument
    /// (their `x-delivery-limit` needs it). URL: `?dlx_argument=true`.
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
        queueType: QueueType = .classic, deliveryLimit: Int? = nil, deadLettering: Bool = true,
        classicDeadLetterArgument: Bool = false,
        reconnectInitialDelay: Duration = .milliseconds(500), reconnectMaxDelay: Duration = .seconds(2),
        topicExchanges: Set<String> = ["celeryev"]
    ) {
        self.queueType = queueType
        self.deliveryLimit = deliveryLimit
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

    /// Reads `queue_type`, `delivery_limit` and `dlx_argument` from a URL's query; other options keep their values.
    public func applying(url: ConnectionURL) throws -> RabbitMQOptions {
        var o = self
        if let t = url.queryValue("queue_type") {
            guard let qt = QueueType(rawValue: t.lowercased()) else {
                throw CeleryError(.badURL, "\(url.masked): queue_type must be 'classic' or 'quorum', got '\(t)'")
            }
            o.queueType = qt
        }
        if let l = url.queryValue("delivery_limit") {
            guard let n = Int(l), n > 0 else {
                throw CeleryError(.badURL, "\(url.masked): delivery_limit must be a positive integer, got '\(l)'")
            }
            o.deliveryLimit = n
        }
        if let d = url.queryValue("dlx_argument") {
            switch d.lowercased() {
            case "1", "true", "yes": o.classicDeadLetterArgument = true
            case "0", "false", "no": o.classicDeadLetterArgument = false
            default: throw CeleryError(.badURL, "\(url.masked): dlx_argument must be true or false, got '\(d)'")
            }
        }
        return o
    }

    /// Arguments for `queue.declare` of a work queue.
    func workQueueArguments(queue: String) -> AMQPTable {
        var args: AMQPTable = [:]
        if queueType == .quorum {
            args["x-queue-type"] = .string("quorum")
            if let deliveryLimit { args["x-delivery-limit"] = .int64(Int64(deliveryLimit)) }
        }
        if deadLettering, queueType == .quorum || classicDeadLetterArgument { args["x-dead-letter-exchange"] = .string(RabbitMQNames.deadLetterExchange(queue)) }
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
