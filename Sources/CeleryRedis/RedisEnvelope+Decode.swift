import Celery

extension RedisEnvelope {
    /// What a consumer learns from one raw envelope.
    struct Decoded {
        var message: BrokerMessage
        var redelivered: Bool
    }

    /// Decodes a raw envelope. Never throws: anything that is not a usable envelope becomes
    /// ``BrokerMessage/undecodable(raw:reason:)`` with the reason. Missing `delivery_info`
    /// and unknown keys are tolerated.
    ///
    /// One pass over the bytes (``JSONMembers``): the envelope and its properties are read
    /// straight into fields and the base64 body is decoded from the envelope's bytes; only
    /// the headers (and unknown properties) become ``JSONValue`` trees.
    static func decode(_ raw: [UInt8]) -> Decoded {
        func bad(_ why: String) -> Decoded { Decoded(message: .undecodable(raw: raw, reason: why), redelivered: false) }
        var headers: [String: JSONValue] = [:]
        var bodyText: [UInt8]?
        var contentType: String?
        var contentEncoding: String?
        var p = Properties()
        let isObject: Bool
        do {
            isObject = try JSONMembers.forEach(in: raw) { key, v in
                switch key {
                case "body":
                    bodyText = try v.stringBytes()  // nil: null or not a string (looked at below)
                case "headers":
                    if case .object(let h) = try v.value() { headers = h } else { headers = [:] }
                case "properties":
                    p = Properties()
                    if try !v.members({ try p.read($0, &$1) }) { p = Properties() }
                case "content-type": contentType = try v.string()
                case "content-encoding": contentEncoding = try v.string()
                default: break
                }
            }
        } catch {
            return bad("Redis envelope is not JSON")
        }
        guard isObject else { return bad("Redis envelope is not a JSON object") }
        let body: [UInt8]
        if let text = bodyText {
            if p.bodyEncoding == "base64" {
                guard let d = text.withUnsafeBufferPointer({ Base64.decode(bytes: $0) }) else {
                    return bad("envelope body is not valid base64")
                }
                body = d
            } else {
                body = text
            }
        } else if let other = nonStringBody(raw), !other.isNull {
            return bad("envelope body is \(other.description.prefix(40)), not a string")
        } else {
            body = []
        }
        let redelivered = headers.removeValue(forKey: "redelivered")?.boolValue == true || p.redelivered
        let message = BrokerMessage(
            body: body, headers: headers,
            contentType: contentType ?? "application/json",
            contentEncoding: contentEncoding ?? "utf-8",
            correlationId: p.correlationId, replyTo: p.replyTo, deliveryMode: p.deliveryMode ?? 2,
            priority: p.priority, expirationMilliseconds: p.expiration, extraProperties: p.extra)
        return Decoded(message: message, redelivered: redelivered)
    }

    /// The `body` of an envelope whose body is not a string (the rare error path: parsed again whole).
    private static func nonStringBody(_ raw: [UInt8]) -> JSONValue? {
        guard case .object(let o)? = try? JSONCoding.parse(raw) else { return nil }
        return o["body"]
    }

    /// The envelope's `properties`, read member by member.
    private struct Properties {
        var correlationId: String?
        var replyTo: String?
        var deliveryMode: Int?
        var priority: Int?
        var expiration: Int?
        var bodyEncoding: String?
        var redelivered = false
        /// Properties with no field (kept so the message round-trips).
        var extra: [String: JSONValue] = [:]

        mutating func read(_ key: String, _ v: inout JSONMembers) throws {
            switch key {
            case "correlation_id": correlationId = try v.string()
            case "reply_to": replyTo = try v.string()
            case "delivery_mode": deliveryMode = try v.value().intValue.map(Int.init)
            case "priority": priority = try v.value().intValue.map(Int.init)
            case "body_encoding": bodyEncoding = try v.string()
            case "expiration":
                let e = try v.value()
                expiration = e.stringValue.flatMap { Int($0) } ?? e.intValue.map(Int.init)
            case "delivery_info":
                var again = false
                _ = try v.members { k, i in
                    if k == "redelivered" { again = try i.value().boolValue == true }
                }
                redelivered = again
            case "delivery_tag": break  // the transport's own (the pop script read it)
            default: extra[key] = try v.value()
            }
        }
    }
}
