import Celery
import Hummingbird
import Logging

/// Runs the HTTP server and a worker in one process. SIGTERM/SIGINT stop the server
/// (Hummingbird's service group), then the worker shuts down warm: it stops consuming,
/// returns its prefetched messages to the queue and lets running tasks finish.
enum InProcessWorker {
    static func run<A: ApplicationProtocol>(http: A, worker: Worker, logger: Logger) async throws {
        let running = Task { try await worker.run() }
        await worker.waitUntilStarted()
        logger.info("in-process worker \(worker.options.hostname) started")
        var failure: (any Error)?
        do { try await http.runService() } catch { failure = error }
        logger.notice("HTTP server stopped: warm shutdown of the in-process worker")
        worker.shutdown()
        let outcome = await running.result
        if let failure { throw failure }
        try outcome.get()
    }
}
