import DequeModule
import Synchronization

/// A multi-consumer FIFO of received deliveries waiting for a free execution slot.
final class DeliveryBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items: Deque<Element> = []
        var waiters: Deque<CheckedContinuation<Element?, Never>> = []
        var closed = false
    }
    private let state = Mutex(State())

    /// Adds an element; returns false (and drops nothing: the caller keeps it) once closed.
    func push(_ e: Element) -> Bool {
        let r = state.withLock { s -> (Bool, CheckedContinuation<Element?, Never>?) in
            guard !s.closed else { return (false, nil) }
            if let w = s.waiters.popFirst() { return (true, w) }
            s.items.append(e)
            return (true, nil)
        }
        r.1?.resume(returning: e)
        return r.0
    }

    /// The next element; `nil` once closed.
    func next() async -> Element? {
        await withCheckedContinuation { c in
            let now: Element?? = state.withLock { s in
                if let e = s.items.popFirst() { return .some(e) }
                if s.closed { return .some(nil) }
                s.waiters.append(c)
                return .none
            }
            if let now { c.resume(returning: now) }
        }
    }

    /// Closes the buffer; returns the elements nobody took. Waiters get `nil`.
    func close() -> [Element] {
        let (items, waiters) = state.withLock { s -> ([Element], [CheckedContinuation<Element?, Never>]) in
            s.closed = true
            let i = Array(s.items)
            let w = Array(s.waiters)
            s.items.removeAll()
            s.waiters.removeAll()
            return (i, w)
        }
        for w in waiters { w.resume(returning: nil) }
        return items
    }

    /// Elements waiting.
    var count: Int { state.withLock { $0.items.count } }

    /// The waiting elements, oldest first (for inspection).
    var snapshot: [Element] { state.withLock { Array($0.items) } }
}

/// A one-shot event that tasks can wait for; waiting is cancellable.
final class Event: Sendable {
    private struct State {
        var fired = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var next: UInt64 = 0
    }
    private let state = Mutex(State())

    func fire() {
        let ws = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.fired { return [] }
            s.fired = true
            let w = Array(s.waiters.values)
            s.waiters = [:]
            return w
        }
        for w in ws { w.resume() }
    }

    var isFired: Bool { state.withLock { $0.fired } }

    /// Returns when the event fires or the calling task is cancelled.
    func wait() async {
        let token = state.withLock { s -> UInt64 in s.next += 1; return s.next }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.fired || Task.isCancelled { return true }
                    s.waiters[token] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { $0.waiters.removeValue(forKey: token) }
            w?.resume()
        }
    }

    /// Waits for the event or the timeout; returns whether the event fired.
    func wait(timeout: Duration) async -> Bool {
        if isFired { return true }
        await withTaskGroup(of: Void.self) { g in
            g.addTask { await self.wait() }
            g.addTask { try? await Task.sleep(for: timeout) }
            await g.next()
            g.cancelAll()
        }
        return isFired
    }
}
