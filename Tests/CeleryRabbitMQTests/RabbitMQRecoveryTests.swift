import Celery
import Foundation
import Testing

@testable import AMQP091
@testable import CeleryRabbitMQ

@Suite("RabbitMQ recovery and throughput", .serialized)
struct RabbitMQRecoveryTests {
    /// The TCP connection drops under a consumer holding an unacked message: the held
    /// delivery can no longer be settled, the publisher reconnects, the consumer
    /// resubscribes (redeclaring its topology) and gets the message again, redelivered.
    @Test func consumerAndPublisherRecoverFromADroppedConnection() async throws {
        guard let url = amqpURL() else { return }
        let broker = try RabbitMQBroker(url: url, options: RabbitMQOptions(reconnectInitialDelay: .milliseconds(50)))
        let q = unique("b-recover")
        _ = try await broker.publish(taskMessage(1), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        let held = try #require(try await next(c))
        #expect(!held.redelivered)
        let old = try await broker.keeper.current()
        try await old.channel.close()  // abrupt: no connection.close handshake
        await #expect(throws: CeleryError.self) { try await held.ack() }
        _ = try await broker.publish(taskMessage(2), to: .queue(q))
        let new = try await broker.keeper.current()
        #expect(new !== old)
        var got: [(Int?, Bool)] = []
        for _ in 0..<2 {
            let d = try #require(try await next(c, within: .seconds(10)))
            got.append((number(d), d.redelivered))
            try await d.ack()
        }
        #expect(got.map(\.0).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 2])
        #expect(got.first { $0.0 == 1 }?.1 == true)
        #expect(try await broker.queueLength(q) == 0)
        await c.cancel()
        try await broker.close()
    }

    /// Confirmed publish and consume rates (printed; the numbers in Docs/rabbitmq.md come
    /// from this test with `CELERY_AMQP_BENCH_N=5000`).
    @Test func throughput() async throws {
        guard let url = amqpURL() else { return }
        let n = Int(ProcessInfo.processInfo.environment["CELERY_AMQP_BENCH_N"] ?? "") ?? 500
        let broker = try RabbitMQBroker(url: url)
        let q = unique("b-bench")
        let msg = taskMessage(1)
        _ = try await broker.publish(msg, to: .queue(q))
        _ = try await broker.purge(queue: q)
        let clock = ContinuousClock()
        var t0 = clock.now
        for _ in 0..<n { _ = try await broker.publish(msg, to: .queue(q)) }
        let sequential = clock.now - t0
        t0 = clock.now
        try await withThrowingTaskGroup(of: Void.self) { g in
            for w in 0..<32 {
                g.addTask { for _ in stride(from: w, to: n, by: 32) { _ = try await broker.publish(msg, to: .queue(q)) } }
            }
            try await g.waitForAll()
        }
        let concurrent = clock.now - t0
        #expect(try await broker.queueLength(q) == 2 * n)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 64))
        t0 = clock.now
        for _ in 0..<(2 * n) {
            let d = try #require(try await next(c))
            try await d.ack()
        }
        let consumed = clock.now - t0
        func rate(_ count: Int, _ d: Duration) -> Int {
            Int(Double(count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18))
        }
        print(
            "amqp throughput (n=\(n), \(msg.body.count)-byte body + Celery headers): confirmed publish sequential \(rate(n, sequential))/s, "
                + "32 concurrent \(rate(n, concurrent))/s; consume+ack prefetch 64: \(rate(2 * n, consumed))/s")
        await c.cancel()
        try await broker.close()
    }
}
