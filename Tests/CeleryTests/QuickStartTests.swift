import Foundation
import Testing

import Celery

/// The README's quick start, compiled and run (with a shorter sleep).
@Test func readmeQuickStartWorks() async throws {
    let app = try await Celery(name: "proj", broker: "memory://quickstart", backend: "memory://quickstart")
    let add = app.task("tasks.add") { (ctx: TaskContext, x: Int, y: Int) async throws -> Int in
        try await Task.sleep(for: .milliseconds(50))  // slow work
        return x + y
    }
    let worker = Worker(app: app, options: WorkerOptions(concurrency: 10, broadcasts: ["everyone"]))
    let running = Task { try await worker.run() }
    await worker.waitUntilStarted()

    let result = try await add.delay(4, 4)
    #expect(!result.id.isEmpty)
    #expect(try await result.get(timeout: .seconds(10)) == 8)
    let broadcast = try await add.apply(1, 2, options: CallOptions(route: .broadcast("everyone")))
    #expect(broadcast.receipt?.receivers == 1)
    #expect(try await broadcast.get(timeout: .seconds(10)) == 3)
    worker.shutdown()
    try await running.value
}
