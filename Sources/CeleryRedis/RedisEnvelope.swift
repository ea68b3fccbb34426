import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// kombu's Redis message envelope: the whole message as one JSON object with a base64 body,
/// pushed onto a list (queue mode) or published on a channel (broadcast mode).
///
/// `{"body": base64, "content-encoding", "content-type", "headers", "properties":
/// {correlation_id, reply_to, delivery_mode, delivery_info: {exchange, routing_key},
/// priority, body_encoding: "base64", delivery_tag}}`
enum RedisEnvelope {
    /// Properties mapped to ``BrokerMessage`` fields or owned by the transport; others are
    /// kept in `extraProperties`.
    static let knownProperties: Set<String> = [
        "correlation_id", "reply_to", "delivery_mode", "delivery_info", "priority", "body_encoding",
        "delivery_tag", "expiration",
    ]

    /// Encodes a message for `routingKey` (the queue, or the exchange for broadcast).
    /// Written straight into bytes in the order a key-sorted `json.dumps` would give; a
    /// message with extra properties takes the general path (``encodeGeneral``), same output.
    static func encode(_ m: BrokerMessage, exchange: String, routingKey: String, deliveryTag: String? = nil) throws -> [UInt8] {
        if m.extraProperties.contains(where: { $0.key != "routing_key" }) {
            return try encodeGeneral(m, exchange: exchange, routingKey: routingKey, deliveryTag: deliveryTag ?? DeliveryTag.next())
        }
        var out: [UInt8] = []
        out.reserveCapacity(m.body.count / 3 * 4 + 360 + exchange.utf8.count + routingKey.utf8.count)
        out.append(contentsOf: #"{"body":""#.utf8)
        Base64.encode(m.body, into: &out)
        out.append(contentsOf: #"","content-encoding":"#.utf8)
        JSONWriter.writeString(m.contentEncoding, into: &out)
        out.append(contentsOf: #","content-type":"#.utf8)
        JSONWriter.writeString(m.contentType, into: &out)
        out.append(contentsOf: #","headers":"#.utf8)
        JSONWriter.write(.object(m.headers), into: &out)
        out.append(contentsOf: #","properties":{"body_encoding":"base64","correlation_id":"#.utf8)
        if let c = m.correlationId { JSONWriter.writeString(c, into: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","delivery_info":{"exchange":"#.utf8)
        JSONWriter.writeString(exchange, into: &out)
        out.append(contentsOf: #","routing_key":"#.utf8)
        JSONWriter.writeString(routingKey, into: &out)
        out.append(contentsOf: #"},"delivery_mode":"#.utf8)
        out.append(contentsOf: String(m.deliveryMode).utf8)
        out.append(contentsOf: #","delivery_tag":"#.utf8)
        if let deliveryTag { JSONWriter.writeString(deliveryTag, into: &out) } else { DeliveryTag.write(into: &out) }
        if let e = m.expirationMilliseconds {
            out.append(contentsOf: #","expiration":""#.utf8)
            out.append(contentsOf: String(e).utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #","priority":"#.utf8)
        out.append(contentsOf: String(m.priority ?? 0).utf8)
        out.append(contentsOf: #","reply_to":"#.utf8)
        if let r = m.replyTo { JSONWriter.writeString(r, into: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// The envelope through a ``JSONValue`` tree: any extra properties merged in.
    static func encodeGeneral(_ m: BrokerMessage, exchange: String, routingKey: String, deliveryTag: String) throws -> [UInt8] {
        var props: [String: JSONValue] = m.extraProperties
        props["routing_key"] = nil  // a routing hint for topic exchanges, carried in delivery_info
        props["correlation_id"] = m.correlationId.map(JSONValue.string) ?? .null
        props["reply_to"] = m.replyTo.map(JSONValue.string) ?? .null
        props["delivery_mode"] = .int(Int64(m.deliveryMode))
        props["delivery_info"] = ["exchange": .string(exchange), "routing_key": .string(routingKey)]
        props["priority"] = .int(Int64(m.priority ?? 0))
        props["body_encoding"] = "base64"
        props["delivery_tag"] = .string(deliveryTag)
        if let e = m.expirationMilliseconds { props["expiration"] = .string(String(e)) }
        let envelope: JSONValue = [
            "body": .string(Base64.encode(m.body)),
            "content-encoding": .string(m.contentEncoding),
            "content-type": .string(m.contentType),
            "headers": .object(m.headers),
            "properties": .object(props),
        ]
        return try JSONCoding.encode(envelope)
    }

    /// The same envelope marked redelivered (`headers.redelivered` and
    /// `properties.delivery_info.redelivered`, as kombu's restore does); `nil` if `raw` is
    /// not a JSON object (then it is restored unchanged).
    static func markedRedelivered(_ raw: [UInt8]) -> [UInt8]? {
        guard case .object(var o)? = try? JSONCoding.parse(raw) else { return nil }
        if case .object(var h)? = o["headers"] { h["redelivered"] = true; o["headers"] = .object(h) }
        if case .object(var p)? = o["properties"] {
            if case .object(var i)? = p["delivery_info"] { i["redelivered"] = true; p["delivery_info"] = .object(i) }
            o["properties"] = .object(p)
        }
        return try? JSONCoding.encode(JSONValue.object(o))
    }

    /// The priority list a message belongs to: kombu's steps 0, 3, 6, 9 (0 = the base list,
    /// highest priority on Redis; 0–2 → base, 3–5 → 3, 6–8 → 6, 9+ → 9).
    static func priorityStep(_ priority: Int?) -> Int {
        let p = min(max(priority ?? 0, 0), 9)
        return p / 3 * 3
    }

    /// The list key for a queue and priority step (`<queue>\x06\x16<step>`, base list for 0).
    static func listKey(queue: String, step: Int) -> String {
        step == 0 ? queue : "\(queue)\u{06}\u{16}\(step)"
    }

    /// All of a queue's lists, highest priority first.
    static func listKeys(queue: String) -> [String] { [0, 3, 6, 9].map { listKey(queue: queue, step: $0) } }
}

/// Delivery tags in UUID form (kombu uses `uuid4()`): 64 random bits drawn once per process
/// and a 64-bit counter, so each tag costs no system call. Unique within the process by the
/// counter, across processes by the random half (version and variant bits set as for v4).
enum DeliveryTag {
    private static let prefix: UInt64 = {
        var g = SystemRandomNumberGenerator()
        return (g.next() & ~UInt64(0xf000)) | 0x4000  // version 4 nibble in the third group
    }()
    private static let counter = Atomic<UInt64>(0)

    /// Appends the next tag as a quoted JSON string.
    static func write(into out: inout [UInt8]) {
        let n = counter.add(1, ordering: .relaxed).newValue
        let low = (n & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000  // RFC 4122 variant
        out.append(UInt8(ascii: "\""))
        func put(_ v: UInt64, _ nibbles: Int) {
            var shift = (nibbles - 1) * 4
            while shift >= 0 {
                out.append(JSONWriter.hex[Int(v >> UInt64(shift) & 0xf)])
                shift -= 4
            }
        }
        put(prefix >> 32, 8)
        out.append(UInt8(ascii: "-"))
        put(prefix >> 16 & 0xffff, 4)
        out.append(UInt8(ascii: "-"))
        put(prefix & 0xffff, 4)
        out.append(UInt8(ascii: "-"))
        put(low >> 48, 4)
        out.append(UInt8(ascii: "-"))
        put(low & 0xffff_ffff_ffff, 12)
        out.append(UInt8(ascii: "\""))
    }

    /// The next tag as a string.
    static func next() -> String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out.dropFirst().dropLast(), as: UTF8.self)
    }
}
