import Celery
import Foundation
import RESP
import Testing

@testable import CeleryRedis

@Suite(.serialized) struct RedisBrokerCompatibilityTests {
    static let referenceEnvelope = #"""
        {"body": "W1syLCA0XSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d",
         "content-encoding": "utf-8", "content-type": "application/json",
         "headers": {"lang": "py", "task": "tasks.add", "id": "cb10a681-b522-4bf5-9b7a-bbe10edb7e82",
           "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null,
           "retries": 0, "timelimit": [null, null], "root_id": "cb10a681-b522-4bf5-9b7a-bbe10edb7e82",
           "parent_id": null, "argsrepr": "(2, 4)", "kwargsrepr": "{}", "origin": "gen6132@vm",
           "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}},
         "properties": {"correlation_id": "cb10a681-b522-4bf5-9b7a-bbe10edb7e82",
           "reply_to": "ad80ffdd-916b-3430-98ca-c92f288d5496", "delivery_mode": 2,
           "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0,
           "body_encoding": "base64", "delivery_tag": "c44567f9-b2fe-4d17-98d0-b7e2ec7361c9"}}
        """#

    @Test func consumesKombusEnvelopeAndRecordsItAsKombuDoes() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let raw = try await RESPTestClient(url)
        let q = TestRedis.unique("compat")
        try await raw.send(["LPUSH", RESPValue(q), RESPValue(Self.referenceEnvelope)])
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await TestRedis.next(consumer, within: .seconds(5)))
        #expect(d.message.decodeError == nil)
        #expect(d.message.taskName == "tasks.add")
        #expect(d.message.taskId == "cb10a681-b522-4bf5-9b7a-bbe10edb7e82")
        #expect(String(decoding: d.message.body, as: UTF8.self)
            == #"[[2, 4], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#)
        #expect(d.message.replyTo == "ad80ffdd-916b-3430-98ca-c92f288d5496")
        #expect(d.message.priority == 0 && d.message.deliveryMode == 2)
        #expect(!d.redelivered && d.deliveryCount == 1)
        let tag = "c44567f9-b2fe-4d17-98d0-b7e2ec7361c9"
        // In flight exactly as kombu records it: unacked_index score + unacked [envelope, exchange, routing_key].
        #expect(try await raw.send(["ZSCORE", "unacked_index", RESPValue(tag)]).string != nil)
        let entry = try #require(try await raw.send(["HGET", "unacked", RESPValue(tag)]).bytes)
        let parsed = try JSONCoding.parse(entry)
        #expect(parsed.arrayValue?.count == 3)
        #expect(parsed.arrayValue?[0]["properties"]?["delivery_tag"]?.stringValue == tag)
        #expect(parsed.arrayValue?[2].stringValue == q)
        try await d.ack()
        #expect(try await raw.send(["HEXISTS", "unacked", RESPValue(tag)]) == .integer(0))
        #expect(try await raw.send(["ZSCORE", "unacked_index", RESPValue(tag)]) == .bulkString(nil))
        await consumer.cancel()
        try await broker.close()
    }

    @Test func publishedEnvelopeHasKombusShapeAndKeys() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let raw = try await RESPTestClient(url)
        let q = TestRedis.unique("shape")
        let id = UUID().uuidString.lowercased()
        var m = TestRedis.message(7, id: id)
        m.extraProperties["x-custom"] = "kept"
        let receipt = try await broker.publish(m, to: .queue(q))
        #expect(receipt.receivers == nil && receipt.confirmed)
        let items = try await raw.send(["LRANGE", RESPValue(q), "0", "-1"]).array ?? []
        #expect(items.count == 1)
        let env = try JSONCoding.parse(try #require(items.first?.bytes))
        #expect(env["content-type"]?.stringValue == "application/json")
        #expect(env["content-encoding"]?.stringValue == "utf-8")
        #expect(env["headers"]?["id"]?.stringValue == id)
        let props = try #require(env["properties"])
        #expect(props["body_encoding"]?.stringValue == "base64")
        #expect(props["correlation_id"]?.stringValue == id)
        #expect(props["delivery_mode"]?.intValue == 2)
        #expect(props["priority"]?.intValue == 0)
        #expect(props["delivery_info"]?["routing_key"]?.stringValue == q)
        #expect(props["delivery_info"]?["exchange"]?.stringValue == "")
        #expect(props["delivery_tag"]?.stringValue?.isEmpty == false)
        #expect(props["x-custom"]?.stringValue == "kept")
        let body = Data(base64Encoded: try #require(env["body"]?.stringValue)).map(Array.init)
        #expect(body == m.body)
        let member = RESPValue("\(q)\u{06}\u{16}\u{06}\u{16}\(q)")
        #expect(try await raw.send(["SISMEMBER", RESPValue("_kombu.binding.\(q)"), member]) == .integer(1))
        // Priorities: 0–2 → base list, 3–5 → "\x06\x163", 9 → "\x06\x169"; 0 is served first.
        _ = try await broker.publish(TestRedis.message(9, priority: 9), to: .queue(q))
        _ = try await broker.publish(TestRedis.message(4, priority: 4), to: .queue(q))
        #expect(try await raw.send(["LLEN", RESPValue("\(q)\u{06}\u{16}9")]) == .integer(1))
        #expect(try await raw.send(["LLEN", RESPValue("\(q)\u{06}\u{16}3")]) == .integer(1))
        #expect(try await broker.queueLength(q) == 3)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 10))
        var order: [Int?] = []
        for _ in 0..<3 {
            let d = try #require(try await TestRedis.next(c, within: .seconds(5)))
            order.append(d.message.priority)
            try await d.ack()
        }
        #expect(order == [0, 4, 9])
        await c.cancel()
        try await raw.send(["DEL", RESPValue("_kombu.binding.\(q)")])
        try await broker.close()
    }

    @Test func undecodableEnvelopesAreDeliveredForDeadLettering() async throws {
        guard let url = try TestRedis.url() else { return }
        let broker = try await RedisBroker(url: url)
        let raw = try await RESPTestClient(url)
        let q = TestRedis.unique("bad")
        try await raw.send(["LPUSH", RESPValue(q), "this is not json"])
        try await raw.send(["LPUSH", RESPValue(q), #"{"body": "%%%not base64", "properties": {"body_encoding": "base64"}}"#])
        try await raw.send(["LPUSH", RESPValue(q), #"{"body": "W10=", "headers": {"task": "t", "id": "x"}, "properties": {"body_encoding": "base64", "extra": 1}, "surprise": true}"#])
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 5))
        let d1 = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(d1.message.decodeError?.contains("not JSON") == true)
        #expect(d1.message.body == Array("this is not json".utf8))
        let d2 = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(d2.message.decodeError?.contains("base64") == true)
        let d3 = try #require(try await TestRedis.next(c, within: .seconds(5)))
        #expect(d3.message.decodeError == nil && d3.message.body == Array("[]".utf8) && d3.message.taskId == "x")
        try await d1.deadLetter(reason: "undecodable: not JSON")
        try await d2.deadLetter(reason: "undecodable: base64")
        try await d3.ack()
        let dead = try await broker.deadLetters(queue: q)
        #expect(dead.count == 2)
        #expect(dead.last?["reason"]?.stringValue == "undecodable: not JSON")
        #expect(dead.last?["message"]?.stringValue == "this is not json")
        #expect(try await raw.send(["LLEN", RESPValue("\(q).dead_letter")]) == .integer(2))
        await c.cancel()
        try await raw.send(["DEL", RESPValue("\(q).dead_letter")])
        try await broker.close()
    }
}

/// A bare RESP connection for checking raw keys with plain commands.
struct RESPTestClient {
    let connection: RedisConnection
    init(_ url: String) async throws { connection = try await RedisConnection.connect(RedisConfiguration(url: url)) }
    @discardableResult
    func send(_ c: [RESPValue]) async throws -> RESPValue { try await connection.send(c) }
}
