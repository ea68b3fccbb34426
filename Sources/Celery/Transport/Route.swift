/// Where a message goes, and with which delivery semantics.
///
/// - ``queue(_:)``: competing consumers. Each message goes to exactly one consumer, is
///   acknowledged explicitly, is redelivered if its consumer dies, and waits while nobody
///   consumes (RabbitMQ style; kombu's reliable list on Redis).
/// - ``broadcast(_:)``: publish/subscribe. Every subscriber connected *now* gets a copy;
///   with no subscriber the message is dropped; nothing is acknowledged or redelivered
///   (Redis `PUBLISH` style; a fanout exchange on RabbitMQ).
public enum Route: Hashable, Sendable, CustomStringConvertible {
    /// Competing-consumer queue with this name (Celery's default queue is `celery`).
    case queue(String)
    /// Broadcast (fan-out) channel with this name.
    case broadcast(String)

    /// The default route: queue `celery`.
    public static let `default` = Route.queue("celery")

    /// The queue or channel name.
    public var name: String {
        switch self {
        case .queue(let n), .broadcast(let n): return n
        }
    }

    /// Whether this is broadcast mode.
    public var isBroadcast: Bool { if case .broadcast = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .queue(let n): return "queue:\(n)"
        case .broadcast(let n): return "broadcast:\(n)"
        }
    }
}

/// What a broker says about a publish.
public struct PublishReceipt: Sendable, Hashable {
    /// For broadcast: how many subscribers received the message (0 means it was dropped).
    /// For queue mode: `nil` (the message is stored until a consumer takes it).
    public var receivers: Int?
    /// Whether the broker confirmed the message durably (publisher confirms on RabbitMQ,
    /// the reply to `LPUSH` on Redis, the append on `memory://`).
    public var confirmed: Bool

    public init(receivers: Int? = nil, confirmed: Bool = true) {
        self.receivers = receivers
        self.confirmed = confirmed
    }
}
