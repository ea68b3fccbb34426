import Celery
import NIOPosix
import Synchronization

/// Runs blocking libmongoc calls on a dedicated `NIOThreadPool` sized to the client pool,
/// never on the Swift cooperative pool or an event loop. Each job checks out one client.
final class MongoExecutor: Sendable {
    let pool: MongoClientPool
    private let threads: NIOThreadPool
    private let closed = Mutex(false)

    init(pool: MongoClientPool, threads: Int) {
        self.pool = pool
        self.threads = NIOThreadPool(numberOfThreads: max(1, threads))
        self.threads.start()
    }

    /// Runs `body` with a checked-out client on a worker thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (MongoPooledClient) throws -> T) async throws -> T {
        let pool = self.pool
        guard !closed.withLock({ $0 }) else { throw closedError }
        do {
            return try await threads.runIfActive {
                let client = pool.pop()
                return try body(client)
            }
        } catch is CancellationError where closed.withLock({ $0 }) {
            throw closedError
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw closedError
        }
    }

    private var closedError: CeleryError {
        CeleryError(.invalidState, "MongoDB result backend \(pool.maskedURL) is closed")
    }

    /// Stops the worker threads (running jobs finish first).
    func shutdown() async throws {
        closed.withLock { $0 = true }
        try await threads.shutdownGracefully()
    }

    /// Stops the worker threads without waiting (for `deinit`).
    func shutdownNow() {
        closed.withLock { $0 = true }
        threads.shutdownGracefully { _ in }
    }
}
