/// The private queue a remote-control caller (``ControlClient``, `celery inspect`) reads its
/// replies from, named as kombu's `Mailbox` names it: `<oid>.reply.<namespace>.pidbox`, bound to
/// the direct exchange `reply.<namespace>.pidbox` with routing key `<oid>`.
///
/// A reply queue is transient: it lives as long as its caller and must not outlive it. A
/// transport that declares queues gives it what kombu gives it (Celery's `control_queue_*`
/// defaults): not durable, auto-delete, exclusive to the caller's connection, ``expires`` and
/// ``messageTTL``, and no dead-letter companion. Workers publish replies without declaring it, so
/// a reply to a caller that is gone is dropped instead of creating the queue again.
public struct ControlReplyQueue: Sendable, Hashable {
    /// The queue's name, `<oid>.reply.<namespace>.pidbox`.
    public let name: String
    /// The caller's id: the routing key replies carry (`reply_to.routing_key`).
    public let oid: String
    /// The reply exchange, `reply.<namespace>.pidbox` (direct, not durable).
    public let exchange: String

    /// How long an unused reply queue survives its last consumer (RabbitMQ `x-expires`, the
    /// Redis list's `PEXPIRE` after a reply): 10 s, Celery's `control_queue_expires`.
    public static let expires: Duration = .seconds(10)
    /// How long a reply waits in the queue before it is dropped (RabbitMQ `x-message-ttl`):
    /// 300 s, Celery's `control_queue_ttl`.
    public static let messageTTL: Duration = .seconds(300)

    /// The reply queue of caller `oid` in mailbox `namespace` (Celery's is `celery`).
    public init(oid: String, namespace: String = "celery") {
        self.oid = oid
        self.exchange = "reply.\(namespace).pidbox"
        self.name = "\(oid).\(exchange)"
    }

    /// Recognises a reply queue by its name; `nil` for any other queue. The oid is everything
    /// before the first dot (kombu's oids are UUIDs).
    public init?(name: String) {
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let oid = String(name[..<dot]), exchange = String(name[name.index(after: dot)...])
        guard !oid.isEmpty, exchange.hasPrefix("reply."), exchange.hasSuffix(".pidbox"),
            exchange.count >= "reply.x.pidbox".count  // a namespace of its own
        else { return nil }
        self.oid = oid
        self.exchange = exchange
        self.name = name
    }

    /// Whether `queue` is a remote-control reply queue.
    public static func isReplyQueue(_ queue: String) -> Bool { ControlReplyQueue(name: queue) != nil }
}
