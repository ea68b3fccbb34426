import Celery
import CeleryTestSupport
import Foundation
import RESP
import Testing

@testable import CeleryRedis

/// Remote control's reply queues on Redis, kept as kombu keeps them: the caller binds its list
/// to `reply.celery.pidbox` (so Python workers can answer) and removes list and binding when
/// done; workers push replies without a binding of their own and with an expiry. A call leaves
/// no key behind.
@Suite(.serialized) struct RedisReplyQueueTests {
    /// Database 13 is this suite's own, so a scan of its keys sees nobody else's.
    static func url() throws -> String? { try TestRedis.url(db: 13) }

    static func keys(_ b: RedisBroker) async throws -> Set<String> {
        let reply = try await b.pool.send(["KEYS", "*"])
        return Set((reply.array ?? []).compactMap { $0.string })
    }

    @Test func callerBindsAndCleansUpWorkersPushWithAnExpiry() async throws {
        guard let url = try Self.url() else { return }
        let broker = try await RedisBroker(url: url)
        let reply = ControlReplyQueue(oid: UUID().uuidString.lowercased())
        let member = RedisKeys.bindingMember(routingKey: reply.oid, queue: reply.name)

        // A reply nobody reads: no binding of its own, and the list expires.
        _ = try await broker.publish(BrokerMessage(body: Array("{}".utf8), deliveryMode: 1), to: .queue(reply.name))
        #expect(try await broker.pool.send(["EXISTS", RESPValue(RedisKeys.binding(exchange: reply.name))]).int == 0)
        let ttl = try await broker.pool.send(["PTTL", RESPValue(reply.name)]).int ?? -2
        #expect(ttl > 0 && ttl <= 10_000, "PTTL \(ttl)")

        let consumer = try await broker.consume(.queue(reply.name), options: ConsumeOptions(prefetch: 8))
        #expect(try await broker.pool.send(["SISMEMBER", "_kombu.binding.reply.celery.pidbox", RESPValue(member)]).int == 1)
        let first = try #require(try await TestRedis.next(consumer, within: .seconds(5)))
        try await first.ack()
        // Two more replies; one is read, one is still waiting when the caller stops.
        for host in ["a@h", "b@h"] {
            _ = try await broker.publish(BrokerMessage(body: Array("{\"\(host)\": {\"ok\": \"pong\"}}".utf8), deliveryMode: 1), to: .queue(reply.name))
        }
        let second = try #require(try await TestRedis.next(consumer, within: .seconds(5)))
        try await second.ack()

        await consumer.cancel()
        #expect(try await broker.pool.send(["SISMEMBER", "_kombu.binding.reply.celery.pidbox", RESPValue(member)]).int == 0)
        #expect(try await broker.pool.send(["EXISTS", RESPValue(reply.name)]).int == 0, "the waiting reply went with the queue")
        #expect(try await broker.unackedCount() == 0)
        try await broker.close()
    }

    /// Calls against a live worker get their replies, and leave no key: neither the caller's
    /// list and binding nor a `_kombu.binding.<oid>.reply.celery.pidbox` per reply.
    @Test func controlCallsLeaveNoKeys() async throws {
        guard let url = try Self.url() else { return }
        let probe = try await RedisBroker(url: url)
        let host = TestRedis.unique("pidbox") + "@test"
        let app = try await Celery(name: "pidbox", broker: RedisBroker(url: url))
        let worker = Worker(app: app, options: WorkerOptions(concurrency: 1, queues: [TestRedis.unique("pidbox-q")], hostname: host, sendEvents: false))
        let run = Task { try await worker.run() }
        await worker.waitUntilStarted()
        let during = try await Self.keys(probe)
        for method in ["ping", "stats", "registered", "ping", "active"] {
            let replies = try await app.controlClient.call(method, destination: [host], timeout: .seconds(5), limit: 1)
            #expect(replies[host] != nil, "\(method): \(replies)")
        }
        let after = try await Self.keys(probe)
        #expect(after.filter { $0.contains("reply.celery.pidbox") }.isEmpty, "\(after.sorted())")
        #expect(after.subtracting(during).isEmpty, "new keys: \(after.subtracting(during).sorted())")
        worker.shutdown()
        _ = await run.result
        try await app.close()
        try await probe.close()
    }
}
