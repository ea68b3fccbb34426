import Celery
import Foundation
import RESP
import Testing

@testable import CeleryRedis

/// Prints rough throughput numbers (quoted in Docs/redis.md); runs only with
/// `CELERY_REDIS_BENCH=1` so it does not skew the other tests. Asserts only correctness.
@Suite(.serialized) struct RedisThroughputTests {
    @Test func measurePipelinedCommandsAndQueueRoundTrips() async throws {
        guard ProcessInfo.processInfo.environment["CELERY_REDIS_BENCH"] == "1" else { return }
        guard let url = try TestRedis.url() else { return }
        let c = try await RedisConnection.connect(RedisConfiguration(url: url))
        let key = TestRedis.unique("bench")
        let batches = 10, batch = 1000
        var t0 = ContinuousClock.now
        for _ in 0..<batches {
            let r = try await c.pipeline((0..<batch).map { _ in ["INCR", RESPValue(key)] })
            #expect(r.count == batch)
        }
        let pipelined = Double(batches * batch) / (ContinuousClock.now - t0).seconds
        t0 = ContinuousClock.now
        for _ in 0..<1000 { try await c.send(["INCR", RESPValue(key)]) }
        let sequential = 1000 / (ContinuousClock.now - t0).seconds
        try await c.send(["DEL", RESPValue(key)])
        await c.close()

        let broker = try await RedisBroker(url: url)
        let q = TestRedis.unique("bench-q")
        let n = 1000
        t0 = ContinuousClock.now
        for i in 0..<n { _ = try await broker.publish(TestRedis.message(i), to: .queue(q)) }
        let publishRate = Double(n) / (ContinuousClock.now - t0).seconds
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 8))
        t0 = ContinuousClock.now
        for _ in 0..<n {
            let d = try #require(try await TestRedis.next(consumer, within: .seconds(5)))
            try await d.ack()
        }
        let consumeRate = Double(n) / (ContinuousClock.now - t0).seconds
        await consumer.cancel()
        try await broker.close()
        print(String(format: "THROUGHPUT pipelined INCR: %.0f/s, sequential INCR: %.0f/s, queue publish: %.0f/s, consume+ack: %.0f/s",
                     pipelined, sequential, publishRate, consumeRate))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
