import NIOCore

/// The properties of the `basic` content class (what travels in a content header frame).
/// `nil` = absent (its flag bit is clear).
public struct AMQPBasicProperties: Sendable, Hashable {
    /// MIME type, e.g. `application/json`.
    public var contentType: String?
    /// Encoding, e.g. `utf-8`.
    public var contentEncoding: String?
    /// Application headers.
    public var headers: AMQPTable?
    /// 1 = transient, 2 = persistent.
    public var deliveryMode: UInt8?
    /// Priority 0–255 (queues honour up to their `x-max-priority`).
    public var priority: UInt8?
    /// Correlates a reply with its request (Celery: the task id).
    public var correlationId: String?
    /// Where replies go (Celery: the client id).
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a decimal string.
    public var expiration: String?
    /// Application message id.
    public var messageId: String?
    /// Seconds since the Unix epoch.
    public var timestamp: UInt64?
    /// Application message type.
    public var type: String?
    /// Must equal the connection's user if set (RabbitMQ validates it).
    public var userId: String?
    /// Publishing application.
    public var appId: String?
    /// Reserved by the spec (`cluster-id`).
    public var clusterId: String?

    /// Creates properties; every field defaults to absent.
    public init(
        contentType: String? = nil, contentEncoding: String? = nil, headers: AMQPTable? = nil, deliveryMode: UInt8? = nil,
        priority: UInt8? = nil, correlationId: String? = nil, replyTo: String? = nil, expiration: String? = nil,
        messageId: String? = nil, timestamp: UInt64? = nil, type: String? = nil, userId: String? = nil,
        appId: String? = nil, clusterId: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageId = messageId
        self.timestamp = timestamp
        self.type = type
        self.userId = userId
        self.appId = appId
        self.clusterId = clusterId
    }

    /// Writes the 16-bit flag word (bit 15 = content-type … bit 2 = cluster-id) then the
    /// present properties in order.
    func encode(into b: inout ByteBuffer) throws {
        var flags: UInt16 = 0
        func flag(_ present: Bool, _ bit: UInt16) { if present { flags |= 1 << bit } }
        flag(contentType != nil, 15)
        flag(contentEncoding != nil, 14)
        flag(headers != nil, 13)
        flag(deliveryMode != nil, 12)
        flag(priority != nil, 11)
        flag(correlationId != nil, 10)
        flag(replyTo != nil, 9)
        flag(expiration != nil, 8)
        flag(messageId != nil, 7)
        flag(timestamp != nil, 6)
        flag(type != nil, 5)
        flag(userId != nil, 4)
        flag(appId != nil, 3)
        flag(clusterId != nil, 2)
        b.writeInteger(flags)
        if let v = contentType { try b.amqpWriteShortString(v) }
        if let v = contentEncoding { try b.amqpWriteShortString(v) }
        if let v = headers { try b.amqpWriteTable(v) }
        if let v = deliveryMode { b.writeInteger(v) }
        if let v = priority { b.writeInteger(v) }
        if let v = correlationId { try b.amqpWriteShortString(v) }
        if let v = replyTo { try b.amqpWriteShortString(v) }
        if let v = expiration { try b.amqpWriteShortString(v) }
        if let v = messageId { try b.amqpWriteShortString(v) }
        if let v = timestamp { b.writeInteger(v) }
        if let v = type { try b.amqpWriteShortString(v) }
        if let v = userId { try b.amqpWriteShortString(v) }
        if let v = appId { try b.amqpWriteShortString(v) }
        if let v = clusterId { try b.amqpWriteShortString(v) }
    }

    /// Reads the flag word and the present properties.
    static func decode(from b: inout ByteBuffer) throws -> AMQPBasicProperties {
        let flags = try b.amqpRead(UInt16.self, "property flags")
        guard flags & 1 == 0 else {
            throw AMQPError(.malformedFrame, "property flags continuation bit set (basic has only 14 properties)")
        }
        func has(_ bit: UInt16) -> Bool { flags & (1 << bit) != 0 }
        var p = AMQPBasicProperties()
        if has(15) { p.contentType = try b.amqpReadShortString("content-type") }
        if has(14) { p.contentEncoding = try b.amqpReadShortString("content-encoding") }
        if has(13) { p.headers = try b.amqpReadTable() }
        if has(12) { p.deliveryMode = try b.amqpRead(UInt8.self, "delivery-mode") }
        if has(11) { p.priority = try b.amqpRead(UInt8.self, "priority") }
        if has(10) { p.correlationId = try b.amqpReadShortString("correlation-id") }
        if has(9) { p.replyTo = try b.amqpReadShortString("reply-to") }
        if has(8) { p.expiration = try b.amqpReadShortString("expiration") }
        if has(7) { p.messageId = try b.amqpReadShortString("message-id") }
        if has(6) { p.timestamp = try b.amqpRead(UInt64.self, "timestamp") }
        if has(5) { p.type = try b.amqpReadShortString("type") }
        if has(4) { p.userId = try b.amqpReadShortString("user-id") }
        if has(3) { p.appId = try b.amqpReadShortString("app-id") }
        if has(2) { p.clusterId = try b.amqpReadShortString("cluster-id") }
        return p
    }
}
