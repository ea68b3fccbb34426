import DequeModule
import Synchronization

/// A prefetch-aware hand-off between the code that fetches deliveries and the tasks that
/// take them: a FIFO buffer, any number of concurrent takers, wake-on-cancel, and a count of
/// what is held (pushed and not yet settled) against a capacity (the prefetch limit).
///
/// How a consumer uses it (the `memory://` transport and the worker do; the Redis and
/// RabbitMQ consumers can adopt it the same way):
/// - The fetcher asks ``freeSlots`` (or waits with ``waitForFreeSlots()``) and fetches at most
///   that many messages in one batch, then ``push(_:)``es each. A push wakes the oldest waiting
///   taker directly (no intermediate task).
/// - The consumer's `next()` is ``take()``; `next(within:)` is ``take(within:)``.
/// - When a delivery is acknowledged, requeued or dead-lettered, the transport calls
///   ``settle(_:)``: the slot is free again and a fetcher waiting for room wakes.
/// - `stopDeliveries()` is ``stop()``: takers get `nil`, nothing new is accepted, buffered
///   deliveries stay held until the transport returns them. `cancel()` is ``close()``, which
///   hands back whatever was never taken so the transport can requeue it.
///
/// A taker cancelled while waiting returns `nil` at once; a delivery handed to it in the same
/// instant is returned rather than dropped, so nothing is lost either way.
public final class DeliveryQueue<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Element?, Never>
    }
    private enum Phase { case open, stopped, closed }
    private struct State {
        var items: Deque<Element> = []
        var waiters: Deque<Waiter> = []
        var slotWaiters: [(id: UInt64, continuation: CheckedContinuation<Int, Never>)] = []
        var capacity: Int
        var held = 0
        var phase = Phase.open
        var nextId: UInt64 = 0
        var freeSlots: Int { phase == .open ? max(0, capacity - held) : 0 }
    }
    private let state: Mutex<State>

    /// A queue holding at most `capacity` unsettled elements (default: unbounded).
    public init(capacity: Int = .max) {
        state = Mutex(State(capacity: max(1, capacity)))
    }

    // MARK: Fetching side

    /// How many more elements may be pushed before the capacity is reached (0 once stopped).
    public var freeSlots: Int { state.withLock { $0.freeSlots } }

    /// Elements pushed and not yet settled (buffered and taken).
    public var held: Int { state.withLock { $0.held } }

    /// Waits until at least one slot is free; returns how many are (0 once stopped or closed,
    /// or when the calling task is cancelled).
    public func waitForFreeSlots() async -> Int {
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                let now = state.withLock { s -> Int? in
                    if s.phase != .open || Task.isCancelled { return 0 }
                    if s.freeSlots > 0 { return s.freeSlots }
                    s.slotWaiters.append((id, c))
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Int, Never>? in
                guard let i = s.slotWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.slotWaiters.remove(at: i).continuation
            }
            w?.resume(returning: 0)
        }
    }

    /// Hands an element to the oldest waiting taker, or buffers it; it counts as held until
    /// ``settle(_:)``. Returns `false` once stopped or closed: the caller keeps the element.
    /// The capacity is not enforced here (the fetcher asks ``freeSlots`` first).
    @discardableResult
    public func push(_ e: Element) -> Bool {
        let r = state.withLock { s -> (Bool, CheckedContinuation<Element?, Never>?) in
            guard s.phase == .open else { return (false, nil) }
            s.held += 1
            if let w = s.waiters.popFirst() { return (true, w.continuation) }
            s.items.append(e)
            return (true, nil)
        }
        r.1?.resume(returning: e)
        return r.0
    }

    /// Frees `count` slots (elements acknowledged, requeued or dead-lettered); wakes fetchers
    /// waiting for room.
    public func settle(_ count: Int = 1) {
        let wake = state.withLock { s -> ([CheckedContinuation<Int, Never>], Int) in
            s.held = max(0, s.held - count)
            guard s.freeSlots > 0, !s.slotWaiters.isEmpty else { return ([], 0) }
            defer { s.slotWaiters = [] }
            return (s.slotWaiters.map(\.continuation), s.freeSlots)
        }
        for w in wake.0 { w.resume(returning: wake.1) }
    }

    /// Raises (or, negative, lowers) the capacity, never below 1; wakes fetchers if room appeared.
    public func adjustCapacity(by delta: Int) {
        let wake = state.withLock { s -> ([CheckedContinuation<Int, Never>], Int) in
            s.capacity = max(1, s.capacity == .max ? .max : s.capacity + delta)
            guard s.freeSlots > 0, !s.slotWaiters.isEmpty else { return ([], 0) }
            defer { s.slotWaiters = [] }
            return (s.slotWaiters.map(\.continuation), s.freeSlots)
        }
        for w in wake.0 { w.resume(returning: wake.1) }
    }

    // MARK: Taking side

    /// The oldest element; waits for one. `nil` once stopped or closed, or when the calling
    /// task is cancelled while waiting.
    public func take() async -> Element? {
        if let now = takeNow() { return now.value }
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
                if let now = enqueueWaiter(id: id, c) { c.resume(returning: now.value) }
            }
        } onCancel: {
            removeWaiter(id: id)?.resume(returning: nil)
        }
    }

    /// The oldest element if one comes within `timeout`, else `nil` (also `nil` once stopped
    /// or closed). A timer runs only when the call has to wait.
    public func take(within timeout: Duration) async -> Element? {
        if let now = takeNow() { return now.value }
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self.removeWaiter(id: id)?.resume(returning: nil) }
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
                if let now = enqueueWaiter(id: id, c) { c.resume(returning: now.value) }
            }
        } onCancel: {
            removeWaiter(id: id)?.resume(returning: nil)
        }
    }

    /// What a take gets without waiting.
    private enum Immediate {
        case element(Element)
        case ended
        var value: Element? {
            if case .element(let e) = self { return e }
            return nil
        }
    }

    /// An element or the end, without waiting; `nil` when the caller must wait.
    private func takeNow() -> Immediate? {
        state.withLock { s in
            if s.phase != .open { return .ended }
            if let e = s.items.popFirst() { return .element(e) }
            return nil
        }
    }

    private func enqueueWaiter(id: UInt64, _ c: CheckedContinuation<Element?, Never>) -> Immediate? {
        state.withLock { s in
            if s.phase != .open || Task.isCancelled { return .ended }
            if let e = s.items.popFirst() { return .element(e) }
            s.waiters.append(Waiter(id: id, continuation: c))
            return nil
        }
    }

    private func removeWaiter(id: UInt64) -> CheckedContinuation<Element?, Never>? {
        state.withLock { s in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i).continuation
        }
    }

    // MARK: Ending

    /// Stops handing out: waiting and later takers get `nil`, pushes are refused; buffered
    /// elements stay (still held) until ``close()`` returns them.
    public func stop() {
        let (waiters, slotWaiters) = state.withLock { s -> ([Waiter], [CheckedContinuation<Int, Never>]) in
            if s.phase == .open { s.phase = .stopped }
            defer {
                s.waiters = []
                s.slotWaiters = []
            }
            return (Array(s.waiters), s.slotWaiters.map(\.continuation))
        }
        for w in waiters { w.continuation.resume(returning: nil) }
        for w in slotWaiters { w.resume(returning: 0) }
    }

    /// Closes the queue and returns the elements never taken (oldest first), which are no
    /// longer counted as held; waiting takers get `nil`.
    @discardableResult
    public func close() -> [Element] {
        stop()
        return state.withLock { s -> [Element] in
            s.phase = .closed
            let left = Array(s.items)
            s.items = []
            s.held = max(0, s.held - left.count)
            return left
        }
    }

    /// Whether ``stop()`` or ``close()`` was called.
    public var isStopped: Bool { state.withLock { $0.phase != .open } }

    /// Elements buffered (not yet taken).
    public var count: Int { state.withLock { $0.items.count } }

    /// The buffered elements, oldest first (for inspection).
    public var snapshot: [Element] { state.withLock { Array($0.items) } }
}
