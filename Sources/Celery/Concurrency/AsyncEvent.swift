import Synchronization

/// A one-shot signal that tasks wait for: ``fire()`` once, and every waiter (past and future)
/// goes on. Waiting is cancellable: a cancelled waiter returns at once and leaves nothing
/// behind.
///
/// ```swift
/// let ready = AsyncEvent()
/// Task { await ready.wait(); print("go") }
/// ready.fire()
/// ```
public final class AsyncEvent: Sendable {
    private struct State {
        var fired = false
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextId: UInt64 = 0
    }
    private let state = Mutex(State())

    /// A new, unfired event.
    public init() {}

    /// Fires the event: every waiter resumes; later waits return at once. Firing again has no
    /// effect. Returns whether this call fired it.
    @discardableResult
    public func fire() -> Bool {
        let (fired, waiters) = state.withLock { s -> (Bool, [(id: UInt64, continuation: CheckedContinuation<Void, Never>)]) in
            if s.fired { return (false, []) }
            s.fired = true
            defer { s.waiters = [] }
            return (true, s.waiters)
        }
        for w in waiters { w.continuation.resume() }
        return fired
    }

    /// Whether ``fire()`` was called.
    public var isFired: Bool { state.withLock { $0.fired } }

    /// Returns when the event fires or the calling task is cancelled.
    public func wait() async {
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.fired || Task.isCancelled { return true }
                    s.waiters.append((id, c))
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            w?.resume()
        }
    }

    /// Waits for the event at most `timeout`; returns whether it fired.
    public func wait(timeout: Duration) async -> Bool {
        if isFired { return true }
        _ = try? await withDeadline(timeout) { () async -> Void? in await self.wait() }
        return isFired
    }
}
