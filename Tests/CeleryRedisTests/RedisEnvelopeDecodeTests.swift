import Celery
import Testing

@testable import CeleryRedis

/// The one-pass envelope decoder against a reference that builds the whole JSON tree first
/// (the decoder it replaced): same message, same redelivered flag, same error, for
/// envelopes of every shape the transport may meet.
@Suite struct RedisEnvelopeDecodeTests {
    /// The tree-based decoding: parse everything, then look the fields up.
    static func reference(_ raw: [UInt8]) -> RedisEnvelope.Decoded {
        func bad(_ why: String) -> RedisEnvelope.Decoded { .init(message: .undecodable(raw: raw, reason: why), redelivered: false) }
        guard let parsed = try? JSONCoding.parse(raw) else { return bad("Redis envelope is not JSON") }
        guard case .object(let o) = parsed else { return bad("Redis envelope is not a JSON object") }
        let props = o["properties"]?.objectValue ?? [:]
        var headers = o["headers"]?.objectValue ?? [:]
        let body: [UInt8]
        switch (o["body"], props["body_encoding"]?.stringValue) {
        case (.string(let s)?, "base64"?):
            guard let d = Base64.decode(s) else { return bad("envelope body is not valid base64") }
            body = d
        case (.string(let s)?, _): body = Array(s.utf8)
        case (nil, _), (.null?, _): body = []
        case (let other?, _): return bad("envelope body is \(other.description.prefix(40)), not a string")
        }
        let info = props["delivery_info"]?.objectValue
        let redelivered = headers.removeValue(forKey: "redelivered")?.boolValue == true || info?["redelivered"]?.boolValue == true
        var extra = props
        for k in RedisEnvelope.knownProperties { extra.removeValue(forKey: k) }
        return .init(
            message: BrokerMessage(
                body: body, headers: headers, contentType: o["content-type"]?.stringValue ?? "application/json",
                contentEncoding: o["content-encoding"]?.stringValue ?? "utf-8", correlationId: props["correlation_id"]?.stringValue,
                replyTo: props["reply_to"]?.stringValue, deliveryMode: props["delivery_mode"]?.intValue.map(Int.init) ?? 2,
                priority: props["priority"]?.intValue.map(Int.init),
                expirationMilliseconds: props["expiration"]?.stringValue.flatMap { Int($0) } ?? props["expiration"]?.intValue.map(Int.init),
                extraProperties: extra),
            redelivered: redelivered)
    }

    static let kombu = #"""
        {"body": "W1sxLCAxXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "5b0e", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "5b0e", "parent_id": null, "argsrepr": "(1, 1)", "kwargsrepr": "{}", "origin": "gen0@b\u00e9nch", "ignore_result": true, "stamps": {}}, "properties": {"correlation_id": "5b0e", "reply_to": "r-\u2603", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "bench"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "d1"}}
        """#

    static let envelopes: [String] = [
        kombu,
        #"{"body": "aGk=", "properties": {"body_encoding": "base64"}}"#,
        #"{"body": "[1]", "properties": {}}"#,
        #"{"body": "[\"\u00e9\\n\"]", "headers": {"task": "t\u00e9", "redelivered": true}, "properties": []}"#,
        #"{"body": "", "headers": {"id": "x"}, "properties": {"delivery_info": {"exchange": "", "routing_key": "q", "redelivered": true}}}"#,
        #"{"body": "", "properties": {"delivery_info": {"redelivered": false}, "expiration": "1500", "x-extra": [1, {"a": null}], "priority": 9}}"#,
        #"{"body": "aGk=", "properties": {"body_encoding": "base64", "expiration": 250, "delivery_mode": "2", "reply_to": 5}}"#,
        #"{"body": "aGk=", "body": null, "properties": {"body_encoding": "base64"}, "properties": {"priority": 3}}"#,
        #"{"headers": 7, "content-type": "text/plain", "content-encoding": null}"#,
        #"{"body": "aG\u0069=", "properties": {"body_encoding": "base64"}}"#,
        #"{"body": 5}"#, #"{"body": {"x": 1}}"#, #"{"body": "!!", "properties": {"body_encoding": "base64"}}"#,
        "", "[1,2]", "\"text\"", "{", #"{"body": "a"} x"#, #"{"body": "\xff"}"#, #"{"a": [1, 2,]}"#, "{}",
    ]

    @Test func matchesTheTreeDecoderOnEveryShape() {
        for text in Self.envelopes {
            let raw = Array(text.utf8)
            let got = RedisEnvelope.decode(raw)
            let want = Self.reference(raw)
            #expect(got.message == want.message, "\(text)")
            #expect(got.redelivered == want.redelivered, "\(text)")
        }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        let raw: [UInt8] = Array(#"{"body": "a", "headers": {"task": ""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8)
        #expect(RedisEnvelope.decode(raw).message.decodeError?.contains("not JSON") == true)
        #expect(Self.reference(raw).message.decodeError?.contains("not JSON") == true)
    }
}
