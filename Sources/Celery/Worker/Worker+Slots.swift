import Synchronization

extension Worker {
    /// Starts the execution slots; the returned event fires when every slot has ended (the
    /// buffer was closed and the tasks they ran have finished).
    ///
    /// Each slot is a task of its own that takes a delivery and runs it to its settlement,
    /// the task body included, without handing it to another task (no thread hop per task).
    /// The slots prefer ``WorkerOptions/taskExecutor``, else the first queue consumer's
    /// ``MessageConsumer/taskExecutor`` (an I/O transport's event loop), else the global
    /// executor. A revoke with `terminate` cancels the slot running that task; the slot
    /// settles the delivery and is replaced by a fresh one.
    func startSlots() -> AsyncEvent {
        let counter = SlotCounter(slots: options.concurrency)
        for i in 0..<options.concurrency { spawnSlot(i, counter) }
        return counter.done
    }

    /// The executor slots prefer.
    var slotExecutor: (any TaskExecutor)? {
        if let e = options.taskExecutor { return e }
        return state.withLock { s in
            s.consumers.values.first { !$0.route.isBroadcast }?.consumer.taskExecutor
        }
    }

    func spawnSlot(_ index: Int, _ counter: SlotCounter, first: Incoming? = nil) {
        let executor = slotExecutor
        state.withLock { s in
            // Created under the lock so a revoke never sees the slot without its task.
            s.slotTasks[index] = Task(executorPreference: executor) { await self.slotLoop(index, counter, first: first) }
        }
    }

    /// Takes and runs deliveries until the buffer closes. A slot whose task was cancelled
    /// (a revoke terminated what it ran) hands over to a fresh slot, with the delivery it
    /// holds if it took one after the cancellation.
    func slotLoop(_ index: Int, _ counter: SlotCounter, first: Incoming?) async {
        var cache = SlotCache()
        var pending = first
        while true {
            if pending == nil { pending = await buffer.take() }
            guard let inc = pending else { break }
            pending = nil
            if Task.isCancelled {
                if lifecycle.phase < .coldShutdown {
                    spawnSlot(index, counter, first: inc)
                    return
                }
                await Task { await self.settle(inc.delivery, .notStarted, acksLate: true, log: self.logger) }.value
                break
            }
            await execute(inc, slot: index, cache: &cache)
            if Task.isCancelled { break }
        }
        if Task.isCancelled, lifecycle.phase < .warmShutdown, !buffer.isStopped {
            spawnSlot(index, counter)
            return
        }
        counter.slotEnded()
    }

    /// Cancels what slot `index` runs now.
    func cancelSlot(_ index: Int) {
        let t = state.withLock { $0.slotTasks[index] }
        t?.cancel()
    }

    /// The runtime of a task name: the slot's cached one while the app's registry is
    /// unchanged, else looked up (and the run counter carried over).
    func runtime(_ name: String, cache: inout SlotCache) -> TaskRuntime? {
        let generation = app.registryGeneration
        if let r = cache.last, r.generation == generation, r.name == name { return r }
        guard let task = app.registeredTask(name) else { return nil }
        let r = state.withLock { s -> TaskRuntime in
            if let r = s.runtimes[name], r.generation == generation { return r }
            let r = TaskRuntime(task: task, generation: generation, runs: s.runtimes[name]?.runCount ?? 0)
            s.runtimes[name] = r
            return r
        }
        cache.last = r
        return r
    }
}

/// A slot's memory between deliveries: the last task it ran (consecutive messages mostly
/// name the same task).
struct SlotCache {
    var last: TaskRuntime?
}

/// Counts live slots; fires `done` when the last one ends.
final class SlotCounter: Sendable {
    private let live: Atomic<Int>
    let done = AsyncEvent()

    init(slots: Int) { live = Atomic(slots) }

    func slotEnded() {
        if live.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.fire() }
    }
}
