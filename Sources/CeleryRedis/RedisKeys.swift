/// Key names of the Redis transport. kombu's names where kombu has one, so a Python Celery
/// worker and a Swift worker share queues, in-flight records and restores.
public struct RedisKeys: Sendable, Hashable {
    /// kombu's `unacked` hash: delivery tag → `[envelope, exchange, routing_key]`.
    public var unacked = "unacked"
    /// kombu's `unacked_index` sorted set: delivery tag → delivery (or last touch) time.
    public var unackedIndex = "unacked_index"
    /// kombu's lock around visibility-timeout restores.
    public var unackedMutex = "unacked_mutex"
    /// Our hash: delivery tag → times delivered (kombu has none; it is removed on ack).
    public var deliveryCount = "unacked_delivery_count"

    /// Creates the default names.
    public init() {}

    /// kombu's binding set for an exchange: `_kombu.binding.<exchange>`.
    public static func binding(exchange: String) -> String { "_kombu.binding.\(exchange)" }

    /// A binding member: `<routing_key>\x06\x16<pattern>\x06\x16<queue>` (pattern empty).
    public static func bindingMember(routingKey: String, queue: String) -> String {
        "\(routingKey)\u{06}\u{16}\u{06}\u{16}\(queue)"
    }

    /// Where dead-lettered messages of a queue go: the list `<queue>.dead_letter`.
    public static func deadLetter(queue: String) -> String { "\(queue).dead_letter" }

    /// The pub/sub channel of a broadcast exchange: `/<db>.<exchange>` (kombu's fanout
    /// prefix; pub/sub ignores the database number, hence the prefix).
    public static func fanoutChannel(db: Int, exchange: String) -> String { "/\(db).\(exchange)" }

    /// The channel of a broadcast message with a routing key: `/<db>.<exchange>/<routing_key>`
    /// (kombu's `fanout_patterns`, on by default; Celery's events use it on Redis, where
    /// Celery declares `celeryev` as fanout). An empty key gives ``fanoutChannel(db:exchange:)``.
    public static func fanoutChannel(db: Int, exchange: String, routingKey: String) -> String {
        routingKey.isEmpty ? fanoutChannel(db: db, exchange: exchange) : "/\(db).\(exchange)/\(routingKey)"
    }

    /// A Celery result key: `celery-task-meta-<id>`.
    public static func taskMeta(_ id: String) -> String { "celery-task-meta-\(id)" }

    /// A Celery group result key: `celery-taskset-meta-<id>`.
    public static func groupMeta(_ id: String) -> String { "celery-taskset-meta-\(id)" }
}
