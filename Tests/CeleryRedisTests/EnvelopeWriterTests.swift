import Foundation
@testable import Celery
import Testing

@testable import CeleryRedis

/// The direct envelope writer, base64 codec and delivery tags, held to the general
/// (JSONValue-tree) path and to Foundation.
@Suite struct EnvelopeWriterTests {
    func message(_ body: [UInt8], priority: Int? = nil, correlationId: String? = nil, replyTo: String? = nil,
                 expiration: Int? = nil, extra: [String: JSONValue] = [:]) -> BrokerMessage {
        BrokerMessage(
            body: body, headers: ["lang": "py", "task": "tasks.add", "id": "é\"\\\n", "retries": 0, "eta": .null],
            correlationId: correlationId, replyTo: replyTo, deliveryMode: 2, priority: priority,
            expirationMilliseconds: expiration, extraProperties: extra)
    }

    @Test func directWriterMatchesTheGeneralPathByteForByte() throws {
        let cases = [
            message(Array("[[2, 2], {}, {}]".utf8)),
            message([], priority: 7, correlationId: "c-1", replyTo: "r.q", expiration: 1500),
            message(Array(0...255), correlationId: "ünïcode", extra: ["routing_key": "task.started"]),
        ]
        for (i, m) in cases.enumerated() {
            let direct = try RedisEnvelope.encode(m, exchange: "ex\(i)", routingKey: "rk \"\(i)\"", deliveryTag: "tag-\(i)")
            let general = try RedisEnvelope.encodeGeneral(m, exchange: "ex\(i)", routingKey: "rk \"\(i)\"", deliveryTag: "tag-\(i)")
            #expect(String(decoding: direct, as: UTF8.self) == String(decoding: general, as: UTF8.self))
            let back = RedisEnvelope.decode(direct).message
            #expect(back.body == m.body && back.priority == (m.priority ?? 0) && back.correlationId == m.correlationId)
            #expect(back.replyTo == m.replyTo && back.expirationMilliseconds == m.expirationMilliseconds && back.headers == m.headers)
        }
    }

    @Test func extraPropertiesTakeTheGeneralPath() throws {
        let m = message([1, 2, 3], extra: ["x-custom": "kept", "routing_key": "dropped"])
        let raw = try RedisEnvelope.encode(m, exchange: "", routingKey: "q")
        let props = try #require(try JSONCoding.parse(raw).objectValue?["properties"]?.objectValue)
        #expect(props["x-custom"] == "kept" && props["routing_key"] == nil)
        #expect(RedisEnvelope.decode(raw).message.extraProperties["x-custom"] == "kept")
    }

    @Test func base64MatchesFoundation() {
        var x: UInt64 = 12345
        for n in 0..<200 {
            let bytes: [UInt8] = (0..<n).map { _ in x = x &* 6_364_136_223_846_793_005 &+ 1; return UInt8(x >> 56) }
            let ours = Base64.encode(bytes)
            #expect(ours == Data(bytes).base64EncodedString())
            #expect(Base64.decode(ours) == bytes)
            var appended = Array("x:".utf8)
            Base64.encode(bytes, into: &appended)
            #expect(appended == Array("x:".utf8) + Array(ours.utf8), "appends after what is there")
        }
    }

    /// Stricter than Foundation, which accepts "AB=C" and "AA=A" (padding inside a group).
    @Test func base64RejectsMalformedInput() {
        for bad in ["A", "AB", "ABC", "A===", "AB=C", "=AAA", "AA=A", "AAA*", "AAAA AAA", "YQ==YQ=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
        #expect(Base64.decode("") == [])
    }

    @Test func deliveryTagsAreUniqueVersion4UUIDs() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let t = DeliveryTag.next()
            let u = UUID(uuidString: t)
            #expect(u != nil && t == t.lowercased(), "\(t)")
            let chars = Array(t)
            #expect(chars[14] == "4" && "89ab".contains(chars[19]), "\(t)")
            seen.insert(t)
        }
        #expect(seen.count == 10_000)
    }

    @Test func eventBodyHasTheFieldsAndStandardKeys() throws {
        let d = EventDispatcher(broker: InMemoryBroker(), hostname: "w@h \"q\"", logger: .init(label: "t"))
        let body = d.eventBody("task-succeeded", ["uuid": "abc", "runtime": 0.5, "type": "ignored", "result": "'x'"])
        let o = try #require(try JSONCoding.parse(body).objectValue)
        #expect(o["type"] == "task-succeeded" && o["hostname"] == "w@h \"q\"" && o["uuid"] == "abc" && o["runtime"] == 0.5)
        #expect(o["utcoffset"] == 0 && o["pid"]?.intValue == Int64(ProcessInfo.processInfo.processIdentifier))
        #expect(o["clock"]?.intValue == 1 && (o["timestamp"]?.doubleValue ?? 0) > 1_700_000_000)
        #expect(o.count == 9)
        let again = try #require(try JSONCoding.parse(d.eventBody("task-started", [:])).objectValue)
        #expect(again["clock"]?.intValue == 2 && again.count == 6)
    }

    /// The ordered form (the worker's per-task events) writes the same document as the
    /// dictionary form: the caller's fields in the order given, standard keys replaced.
    @Test func orderedEventBodyMatchesTheDictionaryForm() throws {
        let d = EventDispatcher(broker: InMemoryBroker(), hostname: "w@h", logger: .init(label: "t"))
        let ordered = d.eventBody("task-succeeded", ordered: [
            "uuid": "abc", "runtime": 0.5, "pid": 1, "result": "'x'", "exception": nil, "clock": 99,
        ])
        let text = String(decoding: ordered, as: UTF8.self)
        #expect(text.hasPrefix(#"{"uuid":"abc","runtime":0.5,"result":"'x'","exception":null,"type":"task-succeeded","hostname":"w@h","timestamp":"#))
        let o = try #require(try JSONCoding.parse(ordered).objectValue)
        let fromDictionary = try #require(try JSONCoding.parse(d.eventBody("task-succeeded", [
            "uuid": "abc", "runtime": 0.5, "pid": 1, "result": "'x'", "exception": nil, "clock": 99,
        ])).objectValue)
        #expect(o["pid"]?.intValue == Int64(ProcessInfo.processInfo.processIdentifier) && o["clock"]?.intValue == 1)
        #expect(fromDictionary["clock"]?.intValue == 2)
        for k in ["uuid", "runtime", "result", "exception", "type", "hostname", "utcoffset", "pid"] {
            #expect(o[k] == fromDictionary[k], "\(k)")
        }
        #expect(o.count == fromDictionary.count && o.count == 10)
    }
}
