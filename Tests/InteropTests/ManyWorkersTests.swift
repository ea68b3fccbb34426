import CeleryTestSupport
import Celery
import CeleryRabbitMQ
import Foundation
import Testing

/// Three `celery-worker` processes on one RabbitMQ queue (the short CI form of
/// Benchmarks/many-workers.sh): every task runs exactly once (no worker dies here) and every
/// worker takes a share. Counts come from the workers' own logs (`task_id=… task succeeded`).
@Suite(.serialized) struct ManyWorkersTests {
    @Test func threeWorkerProcessesShareAQueueAndRunEachTaskOnce() async throws {
        guard Interop.available, let url = Interop.env["CELERY_TEST_AMQP_URL"], !url.isEmpty else { return }
        RabbitMQTransport.register()
        let q = Interop.unique("many-workers")
        var workers: [Child] = []
        defer { for w in workers { w.killNow() } }
        for i in 1...3 {
            let w = try Child(Interop.workerBinary, ["--broker", url, "-Q", q, "-c", "2", "-n", "mw\(i)-\(q)@test", "-l", "info", "--without-events"], name: "mw\(i)")
            workers.append(w)
        }
        for w in workers { #expect(await w.waitFor("worker ready"), "a worker did not start:\n\(w.output)") }
        let total = 300
        let app = try await Celery(name: "many-workers", broker: url)
        for i in 0..<total {
            _ = try await app.send(task: "tasks.sleep", args: [0.002], options: CallOptions(taskId: "\(q)-\(i)", route: .queue(q)))
        }
        let pattern = try Regex("task_id=(\(q)-[0-9]+) [^\\n]*task succeeded")
        func ran() -> [[String]] {
            workers.map { w in w.output.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) } }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ran().reduce(0, { $0 + $1.count }) < total, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let perWorker = ran()
        let all = perWorker.flatMap { $0 }
        print("three workers ran \(perWorker.map(\.count)) of \(total)")
        #expect(Set(all).count == total, "lost \(total - Set(all).count)")
        #expect(all.count == Set(all).count, "\(all.count - Set(all).count) ran twice")
        #expect(perWorker.allSatisfy { !$0.isEmpty }, "a worker took nothing: \(perWorker.map(\.count))")
        for w in workers { #expect(await w.stop() == 0) }
        try await app.close()
    }
}
