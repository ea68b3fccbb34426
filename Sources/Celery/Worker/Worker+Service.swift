import ServiceLifecycle

/// A worker is a swift-service-lifecycle `Service`: put it in a `ServiceGroup` and the
/// group's graceful shutdown (SIGTERM/SIGINT with `gracefulShutdownSignals`) is the worker's
/// warm shutdown; cancelling the group (or the task running ``run()``) is a cold shutdown.
///
/// ```swift
/// let worker = Worker(app: app, options: WorkerOptions(concurrency: 4))
/// let group = ServiceGroup(configuration: ServiceGroupConfiguration(
///     services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
extension Worker: Service {
    /// Consumes and runs tasks until a shutdown; throws if a consumer cannot be started
    /// (unreachable broker, bad queue).
    ///
    /// - ``shutdown()``, or the graceful shutdown of the `ServiceGroup` that runs the worker:
    ///   warm shutdown (stop consuming, return prefetched-but-unstarted messages, let running
    ///   tasks finish within ``WorkerOptions/shutdownTimeout``).
    /// - A second ``shutdown()``, ``coldShutdown()`` or cancelling the calling task: cold
    ///   shutdown (running tasks are cancelled and their messages returned).
    ///
    /// The shutdown itself runs in a task of its own, so cancelling the caller does not cut
    /// short the acks, requeues and result writes it does; `run()` returns when it is done.
    public func run() async throws {
        let body = Task { try await self.consumeUntilShutdown() }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await body.value
            } onGracefulShutdown: {
                self.lifecycle.advance(to: .warmShutdown)
            }
        } onCancel: {
            self.lifecycle.advance(to: .coldShutdown)
        }
    }

    /// Requests a cold shutdown at once, whatever the phase: running tasks are cancelled and
    /// their messages returned to their queues.
    public func coldShutdown() { lifecycle.advance(to: .coldShutdown) }
}
