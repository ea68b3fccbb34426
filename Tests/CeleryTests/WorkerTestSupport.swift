import Foundation
import Synchronization
import Testing

@testable import Celery
import ExampleTasks

/// An app on private `memory://` instances with the example tasks, and workers on it.
struct Harness {
    let app: Celery
    let broker: InMemoryBroker
    let backend: InMemoryResultBackend

    init(extended: Bool = true) {
        broker = InMemoryBroker(name: "t-\(UUID().uuidString)")
        backend = InMemoryResultBackend(name: "t-\(UUID().uuidString)")
        app = Celery(name: "test", broker: broker, backend: backend, configuration: CeleryConfiguration(resultExtended: extended))
        ExampleTasks.register(on: app)
    }

    /// Starts a worker; returns it and the task running it.
    func startWorker(_ options: WorkerOptions = WorkerOptions(concurrency: 2, hostname: "w1@test")) async -> (Worker, Task<Void, any Error>) {
        let w = Worker(app: app, options: options)
        let t = Task { try await w.run() }
        await w.waitUntilStarted()
        return (w, t)
    }

    /// Publishes a raw broker message to queue `celery`.
    func publishRaw(_ m: BrokerMessage, queue: String = "celery") async throws {
        _ = try await broker.publish(m, to: .queue(queue))
    }
}

/// Counts calls, for tasks with side effects.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
