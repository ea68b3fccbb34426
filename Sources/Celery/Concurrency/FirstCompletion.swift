import Synchronization

/// Holds the first of several racing completions (a body against its time limit, a push
/// against a timeout): the first ``complete(_:)`` wins, later ones are ignored, and
/// ``value`` waits for the winner. The losers are never awaited.
///
/// ```swift
/// let race = FirstCompletion<Bool>()
/// let work = Task { race.complete(await doWork()) }
/// let timer = Task { try? await Task.sleep(for: .seconds(1)); race.complete(false) }
/// let ok = await race.value
/// timer.cancel()
/// ```
public final class FirstCompletion<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }
    private let state = Mutex(State())

    /// A race nobody has won yet.
    public init() {}

    /// Offers a result; returns `true` for the first caller only (the winner).
    @discardableResult
    public func complete(_ v: Value) -> Bool {
        let waiters = state.withLock { s -> [CheckedContinuation<Value, Never>]? in
            guard s.value == nil else { return nil }
            s.value = v
            defer { s.waiters = [] }
            return s.waiters
        }
        guard let waiters else { return false }
        for w in waiters { w.resume(returning: v) }
        return true
    }

    /// Whether a result was offered.
    public var isCompleted: Bool { state.withLock { $0.value != nil } }

    /// The winning result; waits for it (not cancellable: race it against a timeout instead).
    public var value: Value {
        get async {
            await withCheckedContinuation { c in
                let v = state.withLock { s -> Value? in
                    if let v = s.value { return v }
                    s.waiters.append(c)
                    return nil
                }
                if let v { c.resume(returning: v) }
            }
        }
    }
}

/// Runs `operation` and cancels it once `timeout` has passed; returns its result, or `nil`
/// when it ended by that cancellation (a `CancellationError` or `nil` from the operation).
///
/// The operation is awaited to its end even after the deadline, so a value it produced in
/// the meantime (a delivery taken as the timer fired) is returned rather than lost.
/// Cancelling the caller cancels the operation too.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T?
) async throws -> T? {
    let work = Task { try await operation() }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        if !Task.isCancelled { work.cancel() }
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        do { return try await work.value } catch is CancellationError { return nil }
    } onCancel: {
        work.cancel()
    }
}
