import Celery
import CeleryCommands
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `celery-bench --broker-ceiling`: what the broker itself sustains for the operations one task
/// costs, through our transport but without Celery's task handling or events — persistent
/// publishes (confirmed on RabbitMQ, `LPUSH` on Redis) in pipelined batches, then delivery and
/// acknowledgement with a deep prefetch. The worker's rate reads as a fraction of these.
enum BenchCeiling {
    static let batch = 256

    static func run(broker: any Broker, messages n: Int, queue: String, payload: Int = 0) async throws -> [String: JSONValue] {
        // A real task message, as the benchmark sends (tasks.add, or tasks.echo with a payload).
        let task = payload > 0
            ? TaskMessage(task: "tasks.echo", args: [.string(String(repeating: "x", count: payload))])
            : TaskMessage(task: "tasks.add", args: [1, 1])
        var template = try task.brokerMessage()
        template.deliveryMode = 2
        let route = Route.queue(queue)
        _ = try? await broker.purge(queue: queue)

        let publishStart = ContinuousClock.now
        var sent = 0
        while sent < n {
            let k = min(batch, n - sent)
            try await broker.publish(batch: Array(repeating: template, count: k), to: route)
            sent += k
        }
        let publishSeconds = (ContinuousClock.now - publishStart).seconds

        let consumer = try await broker.consume(route, options: ConsumeOptions(prefetch: batch))
        let consumeStart = ContinuousClock.now
        let received = try await withThrowingTaskGroup(of: Int.self) { g in
            // Several takers, as a worker's execution slots: acks overlap with deliveries.
            let counter = Counter(limit: n)
            for _ in 0..<8 {
                g.addTask {
                    var mine = 0
                    while counter.take() {
                        guard let d = try await consumer.next() else { break }
                        try await d.ack()
                        mine += 1
                    }
                    return mine
                }
            }
            var total = 0
            for try await c in g { total += c }
            return total
        }
        let consumeSeconds = (ContinuousClock.now - consumeStart).seconds
        await consumer.cancel()
        _ = try? await broker.purge(queue: queue)
        return [
            "broker_ceiling": true, "messages": .int(Int64(n)), "body_bytes": .int(Int64(template.body.count)),
            "publish_batch": .int(Int64(batch)), "received": .int(Int64(received)),
            "publish_per_s": .double((Double(n) / max(publishSeconds, 1e-9)).rounded()),
            "deliver_ack_per_s": .double((Double(received) / max(consumeSeconds, 1e-9)).rounded()),
            "transport": .string(broker.displayURL),
        ]
    }

    /// Hands out at most `limit` turns across tasks.
    final class Counter: Sendable {
        private let state: Mutex<Int>
        init(limit: Int) { state = Mutex(limit) }
        func take() -> Bool {
            state.withLock { left in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
        }
    }
}
