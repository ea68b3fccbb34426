import Celery
import CeleryTestSupport
import Foundation
import Synchronization
import Testing

@testable import AMQP091
@testable import CeleryRabbitMQ

/// Faults between the worker and RabbitMQ: a half-open connection (black-holed by the
/// ``FaultProxy``) found by AMQP heartbeats, and a node killed with `kill -9` mid-drain.
@Suite("RabbitMQ faults", .serialized)
struct RabbitMQFaultTests {
    /// The proxy stops forwarding while a delivery is held: heartbeats (1 s) find the dead
    /// connection within 2.25 intervals, the held delivery can no longer be acked, and once
    /// the path heals the consumer resubscribes and gets the message again, redelivered.
    @Test func blackHoledConnectionIsFoundByHeartbeatsAndRecovered() async throws {
        guard let url = amqpURL(), let port = URL(string: url)?.port else { return }
        let proxy = try await FaultProxy.start(upstreamPort: port)
        let viaProxy = "amqp://guest:guest@127.0.0.1:\(proxy.port)/?heartbeat=1&connection_timeout=2000"
        let broker = try RabbitMQBroker(url: viaProxy, options: RabbitMQOptions(reconnectInitialDelay: .milliseconds(50), reconnectMaxDelay: .milliseconds(500)))
        let direct = try RabbitMQBroker(url: url)
        let q = unique("f-blackhole")
        _ = try await direct.publish(taskMessage(1), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        let held = try #require(try await next(c))
        let old = try await broker.keeper.current()

        let clock = ContinuousClock()
        let t0 = clock.now
        try await proxy.setMode(.blackHole)
        let found = Task { await old.closed() }
        let timer = Task { try await Task.sleep(for: .seconds(10)); found.cancel() }
        await found.value
        timer.cancel()
        let detection = clock.now - t0
        print("black hole found by heartbeats after \(detection) (interval 1 s)")
        #expect(!old.isOpen)
        #expect(detection < .milliseconds(2_600), "half-open connection found after \(detection), not within ~2 heartbeat intervals")
        await #expect(throws: CeleryError.self) { try await held.ack() }

        try await proxy.setMode(.pass)
        let again = try #require(try await next(c, within: .seconds(20)))
        #expect(number(again) == 1)
        #expect(again.redelivered)
        try await again.ack()
        _ = try await broker.publish(taskMessage(2), to: .queue(q))
        let second = try #require(try await next(c, within: .seconds(10)))
        #expect(number(second) == 2)
        try await second.ack()
        await c.cancel()
        try await broker.close()
        #expect(try await direct.queueLength(q) == 0)
        try await direct.close()
        try await proxy.stop()
    }

    /// A worker drains 400 tasks (persistent, confirmed) with results in memory; the node
    /// is killed with `kill -9` after about a quarter and started again on the same data.
    /// Every task ends SUCCESS (none lost: the queue is durable and every publish was
    /// confirmed); tasks running or acked-but-unflushed at the kill run again (counted).
    @Test func killedNodeMidDrainLosesNoTask() async throws {
        guard let url = amqpURL() else { return }
        let node = try SpareRabbitNode(basedOn: url)
        defer { node.destroy() }
        try await node.start()
        let broker = try RabbitMQBroker(url: node.url, options: RabbitMQOptions(reconnectInitialDelay: .milliseconds(100), reconnectMaxDelay: .milliseconds(500)))
        let backend = InMemoryResultBackend(name: unique("kill"))
        let app = Celery(name: "kill", broker: broker, backend: backend)
        let runs = Mutex([String: Int]())
        app.task("tasks.nap") { (ctx: TaskContext, n: Int64) in
            runs.withLock { $0[ctx.id, default: 0] += 1 }
            try await Task.sleep(for: .milliseconds(10))
            return n
        }
        let q = unique("f-kill")
        let total = 400
        var ids: [String] = []
        for i in 0..<total {
            ids.append(try await app.send(task: "tasks.nap", args: [.int(Int64(i))], options: CallOptions(route: .queue(q))).id)
        }
        let worker = Worker(app: app, options: WorkerOptions(concurrency: 8, queues: [q], hostname: "kill@test"))
        let running = Task { try await worker.run() }
        await worker.waitUntilStarted()
        func done() async -> Int {
            var n = 0
            for id in ids where (try? await backend.meta(for: id))?.status == .success { n += 1 }
            return n
        }
        let clock = ContinuousClock()
        var deadline = clock.now + .seconds(30)
        while await done() < total / 4, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let beforeKill = await done()
        try node.kill9()
        let killedAt = clock.now
        try await node.start()
        let answeredAt = clock.now
        // What finished during the outage (from the worker's buffer) is not consuming again.
        let atAnswer = await done()
        deadline = clock.now + .seconds(40)
        var resumedAt: ContinuousClock.Instant?
        while clock.now < deadline {
            let n = await done()
            if resumedAt == nil, n > atAnswer { resumedAt = clock.now }
            if n == total { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let succeeded = await done()
        let executions = runs.withLock { $0.values.reduce(0, +) }
        print(
            "kill -9 mid-drain: \(beforeKill)/\(total) done at the kill; node down \(answeredAt - killedAt); "
                + "consuming again \(atAnswer == total ? "before the boot script saw the node ready" : resumedAt.map { "\($0 - answeredAt) after it answered" } ?? "never"); "
                + "lost \(total - succeeded), duplicates \(executions - total)")
        #expect(succeeded == total, "lost \(total - succeeded) of \(total) tasks")
        if let resumedAt { #expect(resumedAt - answeredAt < .seconds(5), "consumed again only \(resumedAt - answeredAt) after the node answered") }
        #expect(executions >= total)
        worker.shutdown()
        try? await running.value
        #expect(try await broker.queueLength(q) == 0)
        try? await broker.close()
        try await node.stop()
    }
}
