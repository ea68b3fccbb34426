import AMQP091
import Celery

/// Maps ``BrokerMessage`` to AMQP basic properties + body and back, the way Celery does on
/// RabbitMQ: raw JSON body, v2 headers in the `headers` table, `delivery_mode` 2.
enum RabbitMQMessageMapping {
    /// Properties for publishing a message.
    static func properties(for m: BrokerMessage) -> AMQPBasicProperties {
        var p = AMQPBasicProperties(
            contentType: m.contentType, contentEncoding: m.contentEncoding,
            headers: m.headers.mapValues(field(from:)), deliveryMode: UInt8(clamping: m.deliveryMode),
            priority: m.priority.map { UInt8(clamping: $0) }, correlationId: m.correlationId, replyTo: m.replyTo,
            expiration: m.expirationMilliseconds.map { String(max(0, $0)) })
        p.messageId = m.extraProperties["message_id"]?.stringValue
        p.type = m.extraProperties["type"]?.stringValue
        p.appId = m.extraProperties["app_id"]?.stringValue
        p.userId = m.extraProperties["user_id"]?.stringValue
        p.timestamp = m.extraProperties["timestamp"]?.intValue.flatMap { UInt64(exactly: $0) }
        return p
    }

    /// A broker message from a delivered AMQP message.
    static func message(from m: AMQPMessage) -> BrokerMessage {
        let p = m.properties
        var extra: [String: JSONValue] = [:]
        if let v = p.messageId { extra["message_id"] = .string(v) }
        if let v = p.type { extra["type"] = .string(v) }
        if let v = p.appId { extra["app_id"] = .string(v) }
        if let v = p.userId { extra["user_id"] = .string(v) }
        if let v = p.timestamp { extra["timestamp"] = .int(Int64(clamping: v)) }
        extra["delivery_info"] = .object(["exchange": .string(m.exchange), "routing_key": .string(m.routingKey)])
        return BrokerMessage(
            body: m.body, headers: (p.headers ?? [:]).mapValues(json(from:)),
            contentType: p.contentType ?? "application/json", contentEncoding: p.contentEncoding ?? "utf-8",
            correlationId: p.correlationId, replyTo: p.replyTo, deliveryMode: Int(p.deliveryMode ?? 1),
            priority: p.priority.map(Int.init), expirationMilliseconds: p.expiration.flatMap { Int($0) },
            extraProperties: extra)
    }

    /// JSON → field value: null ↦ `V`, integers ↦ `I` when they fit in 32 bits else `l`,
    /// doubles ↦ `d`, strings ↦ `S`, arrays ↦ `A`, objects ↦ `F`.
    static func field(from v: JSONValue) -> AMQPFieldValue {
        switch v {
        case .null: return .void
        case .bool(let b): return .bool(b)
        case .int(let i): return Int32(exactly: i).map(AMQPFieldValue.int32) ?? .int64(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(field(from:)))
        case .object(let o): return .table(o.mapValues(field(from:)))
        }
    }

    /// Field value → JSON: every integer type ↦ int, `f`/`d`/`D` ↦ double, `S`/`x` ↦ string
    /// (decoded as UTF-8, invalid bytes replaced), `T` ↦ int seconds, `V` ↦ null.
    static func json(from v: AMQPFieldValue) -> JSONValue {
        switch v {
        case .void: return .null
        case .bool(let b): return .bool(b)
        case .float(let f): return .double(Double(f))
        case .double(let d): return .double(d)
        case .decimal(let scale, let value):
            var d = Double(value)
            for _ in 0..<scale { d /= 10 }
            return .double(d)
        case .longString(let b), .bytes(let b): return .string(String(decoding: b, as: UTF8.self))
        case .array(let a): return .array(a.map(json(from:)))
        case .table(let t): return .object(t.mapValues(json(from:)))
        case .timestamp(let t): return .int(Int64(clamping: t))
        default: return .int(v.intValue ?? 0)
        }
    }

    /// How many times a message has been delivered, this time included: quorum queues send
    /// `x-delivery-count` (earlier failed deliveries); otherwise 2 when redelivered, else 1.
    static func deliveryCount(_ m: AMQPMessage) -> Int {
        if let n = m.properties.headers?["x-delivery-count"]?.intValue { return Int(n) + 1 }
        return m.redelivered ? 2 : 1
    }

    /// Maps a client error to the core error type (URLs already masked by the client).
    static func celeryError(_ e: any Error, _ context: String) -> CeleryError {
        if let c = e as? CeleryError { return c }
        guard let a = e as? AMQPError else { return CeleryError(.connection, "\(context): \(e)") }
        switch a.kind {
        case .badURL: return CeleryError(.badURL, a.message)
        case .timeout: return CeleryError(.timeout, "\(context): \(a.message)")
        case .connectFailed, .accessRefused, .connectionClosed, .connectionClosedByServer, .heartbeatMissed, .protocolViolation,
            .malformedFrame, .frameTooLarge:
            return CeleryError(.connection, "\(context): \(a.message)")
        case .nacked: return CeleryError(.unconfirmed, "\(context): \(a.message)")
        case .channelClosedByServer, .consumerCancelled: return CeleryError(.server, "\(context): \(a.message)")
        case .invalidState: return CeleryError(.invalidState, "\(context): \(a.message)")
        }
    }
}
