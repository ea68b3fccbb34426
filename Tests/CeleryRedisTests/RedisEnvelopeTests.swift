import Celery
import Foundation
import Testing

@testable import CeleryRedis

/// Pure tests of the kombu envelope and key naming (no server needed).
@Suite struct RedisEnvelopeTests {
    @Test func priorityStepsFollowKombu() {
        #expect((0...12).map { RedisEnvelope.priorityStep($0) } == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9, 9])
        #expect(RedisEnvelope.priorityStep(nil) == 0 && RedisEnvelope.priorityStep(-4) == 0)
        #expect(RedisEnvelope.listKeys(queue: "celery") == ["celery", "celery\u{06}\u{16}3", "celery\u{06}\u{16}6", "celery\u{06}\u{16}9"])
        #expect(RedisKeys.bindingMember(routingKey: "celery", queue: "celery") == "celery\u{06}\u{16}\u{06}\u{16}celery")
        #expect(RedisKeys.fanoutChannel(db: 3, exchange: "news") == "/3.news")
        #expect(RedisKeys.fanoutChannel(db: 0, exchange: "celeryev", routingKey: "task.succeeded") == "/0.celeryev/task.succeeded")
        #expect(RedisKeys.fanoutChannel(db: 0, exchange: "news", routingKey: "") == "/0.news")
        #expect(RedisBroadcastConsumer.globEscaped("/0.a*b?[c]") == "/0.a\\*b\\?\\[c\\]")
    }

    @Test func encodeThenDecodeKeepsEverything() throws {
        var m = BrokerMessage(
            body: [0, 1, 2, 255], headers: ["task": "t", "id": "i", "retries": 2], correlationId: "i", replyTo: "r",
            deliveryMode: 1, priority: 7, expirationMilliseconds: 1500, extraProperties: ["x-extra": [1, 2]])
        m.contentType = "application/x-test"
        let raw = try RedisEnvelope.encode(m, exchange: "", routingKey: "q", deliveryTag: "tag-1")
        let env = try JSONCoding.parse(raw)
        #expect(env["properties"]?["delivery_tag"]?.stringValue == "tag-1")
        #expect(env["properties"]?["expiration"]?.stringValue == "1500")
        let back = RedisEnvelope.decode(raw)
        #expect(back.message == m)
        #expect(!back.redelivered)
    }

    @Test func decodeToleratesMissingPartsAndRejectsGarbage() {
        let minimal = RedisEnvelope.decode(Array(#"{"body": "aGk=", "properties": {"body_encoding": "base64"}}"#.utf8))
        #expect(minimal.message.decodeError == nil && minimal.message.body == Array("hi".utf8))
        #expect(minimal.message.headers.isEmpty && minimal.message.deliveryMode == 2)
        let plainBody = RedisEnvelope.decode(Array(#"{"body": "[1]", "properties": {}}"#.utf8))
        #expect(plainBody.message.body == Array("[1]".utf8))
        for (raw, reason) in [("", "not JSON"), ("[1,2]", "not a JSON object"), (#"{"body": 5}"#, "not a string"),
                              (#"{"body": "!!", "properties": {"body_encoding": "base64"}}"#, "base64")] {
            let d = RedisEnvelope.decode(Array(raw.utf8))
            #expect(d.message.decodeError?.contains(reason) == true, "\(raw)")
            #expect(d.message.body == Array(raw.utf8))
        }
    }

    @Test func markedRedeliveredSetsKombusFlags() throws {
        let raw = Array(#"{"body": "", "headers": {"id": "x"}, "properties": {"delivery_info": {"exchange": "", "routing_key": "q"}}}"#.utf8)
        let marked = try #require(RedisEnvelope.markedRedelivered(raw))
        let env = try JSONCoding.parse(marked)
        #expect(env["headers"]?["redelivered"] == true)
        #expect(env["properties"]?["delivery_info"]?["redelivered"] == true)
        let decoded = RedisEnvelope.decode(marked)
        #expect(decoded.redelivered)
        #expect(decoded.message.headers["redelivered"] == nil)
        #expect(RedisEnvelope.markedRedelivered(Array("nope".utf8)) == nil)
    }

    @Test func scriptShasMatchRedis() {
        // SHA-1 test vectors (FIPS 180-1).
        #expect(SHA1.hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }
}
