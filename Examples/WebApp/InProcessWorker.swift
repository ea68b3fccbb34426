import Celery
import CeleryCommands
import Hummingbird
import Logging

/// Runs the HTTP server and a worker as services of one `ServiceGroup` (``ServiceRunner``).
/// The first SIGTERM/SIGINT is the group's graceful shutdown: the server (listed last) stops
/// first, then the worker shuts down warm — it stops consuming, returns its prefetched
/// messages to the queue and lets running tasks finish. A second signal is a cold shutdown.
enum InProcessWorker {
    static func run<A: ApplicationProtocol>(http: A, worker: Worker, logger: Logger) async throws {
        try await ServiceRunner.run([worker, http], logger: logger) { sig, count in
            logger.notice("signal \(sig) received\(count > 1 ? ": cold shutdown" : ": warm shutdown (send again for cold)")")
            if count > 1 { worker.coldShutdown() }
        }
    }
}
