import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Calls a handler on each SIGTERM or SIGINT (the handler decides warm or cold).
///
/// `celery-worker` and `celery-beat` run their services in a `ServiceGroup` through
/// `ServiceRunner`, which uses one watcher for both signals: the first starts the group's
/// graceful shutdown, a repeat escalates. Keep one watcher per process: several dispatch
/// sources on one signal do not reliably all see it.
public final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    /// Starts watching; keep the value alive as long as signals should be handled.
    public init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var s: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { handler(sig) }
            src.resume()
            s.append(src)
        }
        sources = s
    }

    deinit { for s in sources { s.cancel() } }
}
