/// A transport-neutral message: the body bytes plus Celery's headers and properties.
///
/// Each transport maps it to its own wire form: the kombu JSON envelope with a base64 body
/// on Redis, body + headers table + basic properties on AMQP, the value itself in memory.
public struct BrokerMessage: Sendable, Hashable {
    /// The body as sent (for a task: the JSON array `[args, kwargs, embed]`).
    public var body: [UInt8]
    /// Message headers (protocol v2 task headers travel here).
    public var headers: [String: JSONValue]
    /// MIME type of the body; Celery uses `application/json`.
    public var contentType: String
    /// Character encoding of the body; Celery uses `utf-8`.
    public var contentEncoding: String
    /// Correlation id (= task id for task messages).
    public var correlationId: String?
    /// Reply-to address (the client's id for task messages; a reply queue for control).
    public var replyTo: String?
    /// 2 = persistent, 1 = transient.
    public var deliveryMode: Int
    /// Priority. On AMQP higher is delivered first (0–255); on Redis kombu maps 0 to the
    /// highest priority. `nil` = not set.
    public var priority: Int?
    /// Per-message expiration in milliseconds (AMQP `expiration`), if any.
    public var expirationMilliseconds: Int?
    /// Properties the transport found but that have no field above; kept so a message
    /// round-trips unchanged.
    public var extraProperties: [String: JSONValue]
    /// Set by a transport when it could not decode the envelope (bad JSON, bad base64…).
    /// The worker dead-letters such a message with this reason and never runs it.
    public var decodeError: String?

    public init(
        body: [UInt8],
        headers: [String: JSONValue] = [:],
        contentType: String = "application/json",
        contentEncoding: String = "utf-8",
        correlationId: String? = nil,
        replyTo: String? = nil,
        deliveryMode: Int = 2,
        priority: Int? = nil,
        expirationMilliseconds: Int? = nil,
        extraProperties: [String: JSONValue] = [:],
        decodeError: String? = nil
    ) {
        self.body = body
        self.headers = headers
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.expirationMilliseconds = expirationMilliseconds
        self.extraProperties = extraProperties
        self.decodeError = decodeError
    }

    /// A message whose envelope could not be decoded; `raw` is kept for dead-lettering.
    public static func undecodable(raw: [UInt8], reason: String) -> BrokerMessage {
        BrokerMessage(body: raw, decodeError: reason)
    }

    /// The task id (`id` header, else the correlation id), if any.
    public var taskId: String? { headers["id"]?.stringValue ?? correlationId }
    /// The task name (`task` header), if this is a protocol v2 task message.
    public var taskName: String? { headers["task"]?.stringValue }
}
