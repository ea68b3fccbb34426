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

/// The pop script's reply and records, called directly on a real server, and the ack
/// pipeline that undoes them.
@Suite(.serialized) struct RedisPopRecordTests {
    @Test func popRecordsLikeKombuAndCountsOnlyRedeliveredMessages() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let raw = try await RESPTestClient(url)
        let q = TestRedis.unique("popshape")
        let k = broker.keys
        let p = TestRedis.unique("t")  // tags of this run
        func envelope(_ tag: String, mark: String = "") -> String {
            #"{"body": "W10=", "headers": {"id": "\#(tag)"\#(mark.isEmpty ? "" : #", "redelivered": \#(mark)"#)}, "properties": {"delivery_info": {"exchange": "", "routing_key": "\#(q)"\#(mark.isEmpty ? "" : #", "redelivered": \#(mark)"#)}, "delivery_tag": "\#(tag)"}}"#
        }
        let base = [envelope("\(p)-fresh"), envelope("\(p)-again", mark: "true"), envelope("\(p)-notagain", mark: "false")]
        let low = envelope("\(p)-prio3")
        for e in base { try await raw.send(["LPUSH", RESPValue(q), RESPValue(e)]) }
        try await raw.send(["LPUSH", RESPValue(RedisEnvelope.listKey(queue: q, step: 3)), RESPValue(low)])
        // Delivered twice before (kombu keeps the tag across restores): this is the third.
        try await raw.send(["HSET", RESPValue(k.deliveryCount), RESPValue("\(p)-again"), "2"])
        let qjson = #""\#(q)""#
        let reply = try await RedisScript.pop.run(
            broker.pool, keys: RedisEnvelope.listKeys(queue: q) + [k.unacked, k.unackedIndex, k.deliveryCount],
            args: ["1700000000.000001", "fb", RESPValue(qjson), RESPValue(10)])
        let parts = try #require(reply.array)
        let tags = ["\(p)-fresh", "\(p)-again", "\(p)-notagain", "\(p)-prio3"]
        #expect(parts.first?.array?.compactMap(\.string) == tags)
        // Only the marked one is counted: position 2, 2 redeliveries before + this one.
        #expect(parts.count == 4 && parts[1].array?.compactMap(\.int) == [2, 4])
        let envelopes = parts.dropFirst(2).flatMap { $0.array ?? [] }.compactMap(\.string)
        #expect(envelopes == base + [low])
        for (tag, e) in zip(tags, base + [low]) {
            // kombu's record, the envelope byte for byte.
            #expect(try await raw.send(["HGET", RESPValue(k.unacked), RESPValue(tag)]).string == "[\(e), \"\", \(qjson)]")
            let score = try await raw.send(["ZSCORE", RESPValue(k.unackedIndex), RESPValue(tag)]).string.flatMap(Double.init)
            #expect(score.map { abs($0 - 1_700_000_000.000001) < 1e-5 } == true)
        }
        #expect(try await raw.send(["HGET", RESPValue(k.deliveryCount), RESPValue("\(p)-again")]).string == "3")
        for t in ["\(p)-fresh", "\(p)-notagain", "\(p)-prio3"] {
            #expect(try await raw.send(["HEXISTS", RESPValue(k.deliveryCount), RESPValue(t)]) == .integer(0))
        }
        // Nothing left: an empty reply.
        let empty = try await RedisScript.pop.run(
            broker.pool, keys: RedisEnvelope.listKeys(queue: q) + [k.unacked, k.unackedIndex, k.deliveryCount],
            args: ["1700000000.000002", "fb", RESPValue(qjson), RESPValue(10)])
        #expect(empty == .array([]))
        // The ack pipeline removes records, index entries and the counted tag's count.
        let batch = RedisAckBatch(keys: k)
        let replies = try await broker.pool.pipeline(batch.commands(tags, counted: ["\(p)-again"]))
        #expect(replies.first == .integer(4))
        for t in tags {
            #expect(try await raw.send(["HEXISTS", RESPValue(k.unacked), RESPValue(t)]) == .integer(0))
            #expect(try await raw.send(["ZSCORE", RESPValue(k.unackedIndex), RESPValue(t)]).isNull)
            #expect(try await raw.send(["HEXISTS", RESPValue(k.deliveryCount), RESPValue(t)]) == .integer(0))
        }
        try await broker.close()
    }

    @Test func theAckCommandsRemoveTheRecordBeforeItsIndexEntry() {
        let batch = RedisAckBatch(keys: RedisKeys())
        let plain = batch.commands(["a", "b"], counted: [])
        #expect(plain.map { $0.prefix(2).compactMap(\.string) } == [["HDEL", "unacked"], ["ZREM", "unacked_index"]])
        let counted = batch.commands(["a", "b"], counted: ["b"])
        #expect(counted.map { $0.compactMap(\.string) } == [
            ["HDEL", "unacked", "a", "b"], ["HDEL", "unacked_delivery_count", "b"], ["ZREM", "unacked_index", "a", "b"],
        ])
    }

    @Test func anAckOfARedeliveredMessageAlsoRemovesItsCount() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let raw = try await RESPTestClient(url)
        let q = TestRedis.unique("ackcount")
        _ = try await broker.publish(TestRedis.message(1, id: "twice"), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let first = try #require(try await TestRedis.next(c, within: .seconds(5)))
        let tag = try #require(first.acknowledger as? RedisAcknowledger).tag
        #expect(first.deliveryCount == 1)
        #expect(try await raw.send(["HEXISTS", "unacked_delivery_count", RESPValue(tag)]) == .integer(0))
        try await first.requeue()
        let second = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(second.deliveryCount == 2 && second.redelivered)
        #expect(try await raw.send(["HGET", "unacked_delivery_count", RESPValue(tag)]).string == "1")
        try await second.ack()
        #expect(try await raw.send(["HEXISTS", "unacked", RESPValue(tag)]) == .integer(0))
        #expect(try await raw.send(["ZSCORE", "unacked_index", RESPValue(tag)]).isNull)
        #expect(try await raw.send(["HEXISTS", "unacked_delivery_count", RESPValue(tag)]) == .integer(0))
        await c.cancel()
        try await broker.close()
    }
}
