import Celery
import CeleryCommands
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs the HTTP server, the worker (in-process mode) and beat (with `--cleanup-every`) as
/// services of one `ServiceGroup` (``ServiceRunner``). The first SIGTERM/SIGINT is the group's
/// graceful shutdown, in reverse order: the server stops first, then the worker shuts down
/// warm — it stops consuming, returns its prefetched messages to the queue and lets running
/// tasks finish — then beat. A second signal is a cold shutdown of the worker.
enum InProcessWorker {
    static func run<A: ApplicationProtocol>(services: [any Service], http: A, worker: Worker?, logger: Logger) async throws {
        let all: [any Service] = services + (worker.map { [$0] } ?? []) + [http]
        try await ServiceRunner.run(all, logger: logger) { sig, count in
            logger.notice("signal \(sig) received\(count > 1 ? ": cold shutdown" : ": shutting down (send again for cold)")")
            if count > 1 { worker?.coldShutdown() }
        }
    }
}
