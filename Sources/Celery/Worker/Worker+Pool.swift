import Synchronization

/// Execution slots added at run time by `pool_grow`, per worker (keyed by identity so the
/// worker's own state stays untouched). A slot is one more loop taking from the worker's
/// delivery buffer; `pool_shrink` retires added slots, each after the task it is running
/// or the next one it takes.
private struct AddedSlots {
    var running = 0
    var toRetire = 0
}

private let addedSlots = Mutex<[ObjectIdentifier: AddedSlots]>([:])

extension Worker {
    /// Execution slots now: the start concurrency plus slots added by `pool_grow` (and not retired).
    public var poolSize: Int {
        let extra = addedSlots.withLock { all in all[ObjectIdentifier(self)].map { $0.running - $0.toRetire } ?? 0 }
        return options.concurrency + max(0, extra)
    }

    /// Adds `n` execution slots (remote control `pool_grow`).
    func growPool(by n: Int) -> JSONValue {
        let key = ObjectIdentifier(self)
        let started = addedSlots.withLock { all -> Int in
            var s = all[key] ?? AddedSlots()
            // Growing first cancels pending retirements (those loops keep running).
            let cancelled = min(s.toRetire, n)
            s.toRetire -= cancelled
            s.running += n - cancelled
            all[key] = s
            return n - cancelled
        }
        for _ in 0..<started { startAddedSlotIfNeeded() }
        logger.info("pool grown by \(n): \(poolSize) slots")
        return ["ok": .string("pool will grow by \(n) (now \(poolSize))")]
    }

    /// Retires `n` slots added by `pool_grow` (remote control `pool_shrink`); the start
    /// concurrency stays (it is what the worker was sized for).
    func shrinkPool(by n: Int) -> JSONValue {
        let key = ObjectIdentifier(self)
        let available = addedSlots.withLock { all -> Int in
            guard var s = all[key] else { return 0 }
            let free = s.running - s.toRetire
            let take = min(free, n)
            s.toRetire += take
            all[key] = s
            return take
        }
        guard available > 0 else {
            return ["error": .string("cannot shrink below the start concurrency \(options.concurrency)")]
        }
        logger.info("pool shrinks by \(available): \(poolSize) slots")
        return ["ok": .string("pool will shrink by \(available) (now \(poolSize))")]
    }

    /// Starts one loop for a slot counted in `running` but not yet looping. The slot gets an
    /// index of its own in the worker's slot tables (a free one past the start concurrency,
    /// else a new one), so `inspect active` and revoke-with-terminate see it like any slot.
    private func startAddedSlotIfNeeded() {
        let key = ObjectIdentifier(self)
        let first = options.concurrency
        let index = state.withLock { s -> Int in
            if let free = (first..<s.slotTasks.count).first(where: { s.slotTasks[$0] == nil && s.running[$0] == nil }) { return free }
            s.slotTasks.append(nil)
            s.running.append(nil)
            return s.slotTasks.count - 1
        }
        runAddedSlot(index, key: key)
    }

    private func runAddedSlot(_ index: Int, key: ObjectIdentifier) {
        state.withLock { s in
            s.slotTasks[index] = Task { await self.addedSlotLoop(index, key: key) }
        }
    }

    /// Takes and runs deliveries until the slot is retired or the buffer closes. A revoke that
    /// terminated what the slot ran cancels its task: the slot goes on in a fresh one.
    private func addedSlotLoop(_ index: Int, key: ObjectIdentifier) async {
        var cache = SlotCache()
        while true {
            let retire = addedSlots.withLock { all -> Bool in
                guard var s = all[key], s.toRetire > 0 else { return false }
                s.toRetire -= 1
                s.running -= 1
                all[key] = s.running == 0 && s.toRetire == 0 ? nil : s
                return true
            }
            if retire {
                state.withLock { $0.slotTasks[index] = nil }
                return
            }
            guard let inc = await buffer.take() else { break }
            await execute(inc, slot: index, cache: &cache)
            if Task.isCancelled {
                if lifecycle.phase < .warmShutdown, !buffer.isStopped {
                    runAddedSlot(index, key: key)
                    return
                }
                break
            }
        }
        // The buffer closed (shutdown): forget this worker's added slots.
        state.withLock { $0.slotTasks[index] = nil }
        _ = addedSlots.withLock { $0.removeValue(forKey: key) }
    }
}
