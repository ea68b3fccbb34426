import Testing

@testable import RESP

@Suite struct RESPReplyRouterTests {
    @Test func repliesCompleteCommandsInOrder() {
        var r = RESPReplyRouter()
        r.sent(.reply)
        r.sent(.reply)
        #expect(r.received(.simpleString("OK")) == .complete(.simpleString("OK")))
        #expect(r.received(.error("ERR x")) == .complete(.error("ERR x")))
        #expect(r.received(.integer(1)) == .unexpected(.integer(1)))
    }

    @Test func arrayShapedLikeAPushIsAReplyWhenNotSubscribed() {
        var r = RESPReplyRouter()
        r.sent(.reply)
        let v: RESPValue = .array(["message", "a", "b"])
        #expect(r.received(v) == .complete(v))
    }

    @Test func subscribeConfirmationsThenMessages() {
        var r = RESPReplyRouter()
        r.sent(.confirmations(2))
        let c1: RESPValue = .array(["subscribe", "a", .integer(1)])
        let c2: RESPValue = .array(["subscribe", "b", .integer(2)])
        #expect(r.received(c1) == .push(RedisPubSubMessage(kind: .subscribe, channel: "a", subscriptionCount: 1)))
        #expect(r.received(c2) == .pushAndComplete(RedisPubSubMessage(kind: .subscribe, channel: "b", subscriptionCount: 2), c2))
        #expect(r.isSubscribed)
        let m: RESPValue = .array(["pmessage", "/0.x*", "/0.x", "hi"])
        #expect(r.received(m) == .push(RedisPubSubMessage(kind: .pmessage, channel: "/0.x", pattern: "/0.x*", payload: Array("hi".utf8))))
        r.sent(.reply)  // PING while subscribed answers ["pong", ""]
        let pong: RESPValue = .array(["pong", ""])
        #expect(r.received(pong) == .complete(pong))
        r.sent(.confirmations(2))
        _ = r.received(.array(["unsubscribe", "a", .integer(1)]))
        _ = r.received(.array(["unsubscribe", "b", .integer(0)]))
        #expect(!r.isSubscribed)
        #expect(r.inFlight == 0)
    }

    @Test func backoffDoublesToItsCap() {
        var b = RedisBackoff(initial: .milliseconds(100), maximum: .milliseconds(500))
        #expect([b.nextDelay(), b.nextDelay(), b.nextDelay(), b.nextDelay()] == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500)])
        b.reset()
        #expect(b.nextDelay() == .milliseconds(100))
    }

    @Test func urlsParseAndMask() throws {
        let c = try RedisConfiguration(url: "redis://bob:s%40cret@example.com:6380/3?visibility_timeout=10")
        #expect(c.host == "example.com" && c.port == 6380 && c.database == 3)
        #expect(c.user == "bob" && c.password == "s@cret")
        #expect(c.maskedURL == "redis://bob:***@example.com:6380/3")
        #expect(c.queryValue("visibility_timeout") == "10")
        let p = try RedisConfiguration(url: "redis://:pw@localhost")
        #expect(p.user == nil && p.password == "pw" && p.port == 6379 && p.database == 0)
        let t = try RedisConfiguration(url: "rediss://h:1/0?ssl_cert_reqs=none")
        #expect(t.tls != nil)
        for bad in ["redis://h:0/0", "redis://h:99999", "redis://h:abc", "redis://h/xyz", "http://h", "redis://:pw@h:1/-1"] {
            #expect { try RedisConfiguration(url: bad) } throws: { e in
                guard let e = e as? RESPError, e.kind == .badURL else { return false }
                return !e.message.contains("pw")
            }
        }
    }
}
