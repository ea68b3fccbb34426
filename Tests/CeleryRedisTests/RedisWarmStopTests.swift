import Celery
import CeleryTestSupport
import Foundation
import RESP
import Testing

@testable import CeleryRedis

/// A warm stop with a pop in flight: whatever that pop took goes straight back to the queue,
/// also when its reply never arrives, instead of waiting in `unacked` for the visibility
/// restore.
@Suite(.serialized) struct RedisWarmStopTests {
    @Test func aPopWhoseReplyIsLostAtAStopGoesStraightBack() async throws {
        // A database of its own: it counts every record in `unacked`.
        guard let url = try TestRedis.url(db: 14) else { return }
        let upstream = try RedisConfiguration(url: url)
        let proxy = try await FaultProxy.start(upstreamHost: upstream.host, upstreamPort: upstream.port)
        let direct = try await RedisBroker(url: url)
        let broker = try await RedisBroker(url: "redis://127.0.0.1:\(proxy.port)/\(upstream.database)")
        let q = TestRedis.unique("warmstop")
        let consumer = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        // The queue is empty: the consumer waits on its blocking connection, the pop behind the wait.
        try await waitUntil(within: .seconds(5), "the consumer waiting") {
            let info = try await direct.pool.send(["INFO", "clients"]).string ?? ""
            return !info.contains("blocked_clients:0")
        }
        try await proxy.setMode(.slow(.milliseconds(500)))
        for i in 0..<3 { _ = try await direct.publish(TestRedis.message(i), to: .queue(q)) }
        // The wait ends and the pop runs on the server at once; its reply is on its way.
        try await waitUntil(within: .seconds(5), "the pop done") { try await direct.unackedCount() == 3 }
        let stop = Task { await consumer.stopDeliveries() }
        try await proxy.setMode(.reset)  // the reply is lost with the connection
        try await proxy.setMode(.pass)
        await stop.value
        await consumer.cancel()
        #expect(try await direct.unackedCount() == 0)
        #expect(try await direct.queueLength(q) == 3)
        _ = try await direct.purge(queue: q)
        try await broker.close()
        try await direct.close()
        try await proxy.stop()
    }
}
