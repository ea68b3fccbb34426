import CeleryTestSupport
import Celery
import Foundation
import RESP
import Synchronization
import Testing

@testable import CeleryRedis

/// A `;` list of two independent redis-servers (not replicas): the first is killed
/// (`kill -9` by pid) while our worker drains it; the worker's connections and the client's
/// move to the second node, and tasks published after the switch run there.
@Suite(.serialized) struct RedisFailoverListTests {
    @Test func workerAndClientMoveToTheNextNodeWhenTheFirstDies() async throws {
        guard let resultsURL = try TestRedis.url() else { return }
        let first = try await RedisServerProcess.start()
        let second = try await RedisServerProcess.start()
        let list = "\(first.url)?health_check_interval=1;\(second.url)"
        let q = TestRedis.unique("failover-list")
        let ledger = RedisFaultLedger()

        let workerApp = Celery(
            name: "list-worker", broker: try await RedisBroker(url: list),
            backend: try await RedisResultBackend(url: resultsURL))
        workerApp.task("tasks.list_mark") { (ctx: TaskContext, n: Int64) in
            ledger.record(ctx.id)
            try await Task.sleep(for: .milliseconds(2))
            return n
        }
        let client = Celery(
            name: "list-client", broker: try await RedisBroker(url: list),
            backend: try await RedisResultBackend(url: resultsURL))
        let call = CallOptions(route: .queue(q))
        let before = 200
        for i in 0..<before { _ = try await client.send(task: "tasks.list_mark", args: [.int(Int64(i))], options: call) }

        let worker = Worker(app: workerApp, options: WorkerOptions(
            concurrency: 4, queues: [q], hostname: "list@test", enableControl: false, sendEvents: false))
        let running = Task { try await worker.run() }
        await worker.waitUntilStarted()
        try await waitUntil(within: .seconds(20), "50 tasks ran on the first node") { ledger.distinct >= 50 }
        try await first.kill9()
        let killedAt = ContinuousClock.now

        // Published after the switch: the client's pool finds the first node dead and moves on.
        var after: [String] = []
        for i in 0..<100 {
            after.append(try await client.send(task: "tasks.list_mark", args: [.int(Int64(1000 + i))], options: call).id)
        }
        let published = ContinuousClock.now - killedAt
        try await waitUntil(within: .seconds(20), "the 100 tasks published after the switch ran") {
            after.allSatisfy { ledger.count(of: $0) > 0 }
        }
        var succeeded = 0
        for id in after where (try? await client.backend!.meta(for: id))?.status == .success { succeeded += 1 }
        let firstRun = ledger.firstDelivery(after: killedAt).map { $0 - killedAt }
        print("FAILOVER LIST kill -9 of node 1 after \(ledger.distinct) runs: 100 publishes on node 2 took \(published); first run after the kill \(firstRun.map { "\($0)" } ?? "none"); \(succeeded)/100 SUCCESS (the first node's queue died with it: not replicas)")
        #expect(succeeded == after.count)
        // The second node now holds the queue: nothing of it is left over.
        let probe = try await RedisBroker(url: second.url)
        #expect(try await probe.queueLength(q) == 0)
        try await probe.close()

        worker.shutdown()
        try? await running.value
        try? await workerApp.broker.close()
        try? await client.broker.close()
        await first.stop()
        await second.stop()
    }
}
