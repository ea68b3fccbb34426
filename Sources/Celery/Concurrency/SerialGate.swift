import DequeModule
import Synchronization

/// Runs async operations one at a time, in the order they arrive, without blocking a
/// thread: ``run(_:)`` waits for the operations before it to end, then runs its own.
public final class SerialGate: Sendable {
    private struct State {
        var busy = false
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Runs `body` once every earlier operation has ended; its error is rethrown.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.busy {
                    s.waiters.append(c)
                    return false
                }
                s.busy = true
                return true
            }
            if now { c.resume() }
        }
        defer {
            let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let n = s.waiters.popFirst() { return n }  // stays busy: handed over
                s.busy = false
                return nil
            }
            next?.resume()
        }
        return try await body()
    }
}
