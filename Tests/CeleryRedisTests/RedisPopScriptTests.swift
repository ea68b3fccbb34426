import Celery
import RESP
import Testing

@testable import CeleryRedis

/// The pop script finds each envelope's delivery tag without decoding JSON: the last
/// `"delivery_tag"` key, looked for in the envelope's tail first, then in the whole envelope.
@Suite(.serialized) struct RedisPopScriptTests {
    static func envelope(headers: String, properties: String, propertiesFirst: Bool = false) -> String {
        let h = #""headers": {"task": "tasks.add", "id": "x"\#(headers)}"#
        let p = #""properties": {"body_encoding": "base64", "delivery_info": {"exchange": "", "routing_key": "q"}\#(properties)}"#
        return propertiesFirst ? #"{"body": "W1tdLCB7fSwge31d", \#(p), \#(h)}"# : #"{"body": "W1tdLCB7fSwge31d", \#(h), \#(p)}"#
    }

    @Test func findsTheLastDeliveryTagInTheTailOrAnywhere() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let raw = try await RESPTestClient(url)
        let q = TestRedis.unique("poptag")
        let padding = String(repeating: "p", count: 600)
        let cases: [(envelope: String, tag: String?)] = [
            // kombu's spacing, tag near the end
            (Self.envelope(headers: "", properties: #", "delivery_tag": "tail-1""#), "tail-1"),
            // our compact spacing
            (Self.envelope(headers: "", properties: #","delivery_tag":"tail-2""#), "tail-2"),
            // a header of the same name before the real one: the last wins
            (Self.envelope(headers: #", "x": {"delivery_tag": "header"}"#, properties: #", "delivery_tag": "props-3""#), "props-3"),
            // properties first and 600 bytes after them: found by the whole-envelope scan
            (Self.envelope(headers: #", "pad": "\#(padding)""#, properties: #", "delivery_tag": "far-4""#, propertiesFirst: true), "far-4"),
            // no tag at all: the fallback tag
            (Self.envelope(headers: #", "pad": "\#(padding)""#, properties: ""), nil),
        ]
        for c in cases { try await raw.send(["RPUSH", RESPValue(q), RESPValue(c.envelope)]) }
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: cases.count))
        var tags: [String] = []
        for _ in cases {
            let d = try #require(try await TestRedis.next(consumer, within: .seconds(5)))
            #expect(d.message.decodeError == nil)
            tags.append(try #require(d.acknowledger as? RedisAcknowledger).tag)
            try await d.ack()
        }
        // RPUSH then RPOP: the last pushed comes first.
        let expected = cases.reversed().map(\.tag)
        for (got, want) in zip(tags, expected) {
            if let want { #expect(got == want) } else { #expect(!got.isEmpty && !got.contains("delivery")) }
        }
        for t in tags { #expect(try await raw.send(["HEXISTS", "unacked", RESPValue(t)]) == .integer(0)) }
        await consumer.cancel()
        try await broker.close()
    }
}
