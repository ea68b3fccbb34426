import Foundation
import RESP
import Testing

/// The pub/sub push buffer is bounded: a reader that falls behind loses the oldest messages,
/// and every drop is counted (live Redis).
@Suite(.serialized) struct RedisPushBufferTests {
    @Test func aSlowReaderKeepsTheNewestMessagesAndTheDropsAreCounted() async throws {
        guard var config = try TestRedis.configuration() else { return }
        config.pushBufferLimit = 100
        let ch = TestRedis.unique("resp-burst")
        let before = RedisPushBuffer.dropped
        let s = try await RedisSubscriber(configuration: config)
        try await s.subscribe([ch])
        let pub = try await RedisConnection.connect(try #require(try TestRedis.configuration()))
        // 1000 messages while nobody reads: at most 100 may wait.
        let replies = try await pub.pipeline((0..<1000).map { ["PUBLISH", RESPValue(ch), RESPValue(String($0))] })
        #expect(replies.allSatisfy { $0.int == 1 })
        let deadline = ContinuousClock.now + .seconds(15)
        while RedisPushBuffer.dropped - before < 900, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(RedisPushBuffer.dropped - before == 900)
        #expect(s.dropped <= 900 && s.dropped > 0)
        // What is left are the newest 100, in order.
        var it = s.messages.makeAsyncIterator()
        var got: [String] = []
        for _ in 0..<100 { if let m = await it.next() { got.append(String(decoding: m.payload, as: UTF8.self)) } }
        #expect(got.first == "900")
        #expect(got.last == "999")
        #expect(got == (900..<1000).map(String.init))
        // The buffer is empty now: the next message is the next one published.
        _ = try await pub.send("PUBLISH", ch, "after")
        #expect(await it.next()?.payload == Array("after".utf8))
        await s.close()
        await pub.close()
    }

    @Test func theDefaultLimitIsLargeEnoughForResultsAndBounded() throws {
        let c = RedisConfiguration()
        #expect(c.pushBufferLimit == RedisPushBuffer.defaultLimit)
        #expect(RedisPushBuffer.defaultLimit == 100_000)
    }
}
