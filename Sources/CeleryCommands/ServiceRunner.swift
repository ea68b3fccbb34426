import Logging
import ServiceLifecycle
import Synchronization

/// Runs an executable's services in a `ServiceGroup`, shut down gracefully by the first SIGTERM
/// or SIGINT; the group stops the services in reverse order (the last listed first).
///
/// One ``SignalWatcher`` owns both signals: the first triggers the group's graceful shutdown
/// (what `gracefulShutdownSignals: [.sigterm, .sigint]` does), and every signal is reported to
/// `onSignal` with its count, so a repeat can escalate (the worker turns it into a cold
/// shutdown; with `cancelOnRepeat` the group is cancelled). The group's own signal handling is
/// not used: it listens for one signal only, and a second dispatch source on the same signal
/// beside it does not reliably see signals on Linux.
///
/// Applications use it too: `Examples/WebApp` runs its Hummingbird server and a worker with
/// `ServiceRunner.run([worker, httpApp], …)` (the server stops first, then the worker, warm).
public enum ServiceRunner {
    /// Runs `services` until the group ends; `onSignal` hears every SIGTERM/SIGINT with its
    /// count (1 for the first); with `cancelOnRepeat` a second signal cancels the group.
    public static func run(
        _ services: [any Service], logger: Logger, cancelOnRepeat: Bool = false,
        onSignal: @escaping @Sendable (_ signal: Int32, _ count: Int) -> Void
    ) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                logger: logger))
        let task = Task { try await group.run() }
        let signals = SignalCount()
        let watcher = SignalWatcher { sig in
            let n = signals.next()
            onSignal(sig, n)
            if n == 1 {
                Task { await group.triggerGracefulShutdown() }
            } else if cancelOnRepeat {
                task.cancel()
            }
        }
        defer { withExtendedLifetime(watcher) {} }
        try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    /// Signals seen so far.
    private final class SignalCount: Sendable {
        private let value = Mutex(0)
        func next() -> Int {
            value.withLock { n -> Int in
                n += 1
                return n
            }
        }
    }
}
