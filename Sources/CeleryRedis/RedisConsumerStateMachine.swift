import DequeModule

/// The pure fetch-and-settlement state of one queue-mode consumer: events in, actions out
/// (``RedisQueueConsumer`` performs them; tests drive it without a server).
///
/// - Fetching: at most one fetch in flight, for as many messages as there are free prefetch
///   slots (`prefetch − held`). It fetches once half the slots are free (``refillAt``), so a
///   pop brings a batch instead of the one message a single ack freed. With fewer free slots
///   it fetches only when the buffer is empty or a reader waits, and then not before the
///   batch window (``FetchAction/waitForBatch``, at most ~1 ms) has passed without enough
///   slots freeing: the worker drains this consumer's buffer into its own at once, so a
///   parked reader alone does not mean the worker is idle. After a fetch that got less than
///   it asked for the queue was empty: the next fetch waits on the blocking connection first
///   (``FetchKind/waitThenPop``).
/// - Readers: ``next()`` callers take from the buffer in order; when it is empty they park,
///   and the next fetch hands its items straight to parked readers, oldest first.
/// - Settlement: a delivery leaves the held set when it is settled, **also when settling
///   failed** (the connection is gone: its record stays in `unacked` and the visibility
///   restore brings it back), so a broker outage never leaves the prefetch slots full.
/// - Faults: a fetch whose reply was lost (the connection failed with the pop in flight) may
///   have popped messages that nobody holds; its score (the `unacked_index` score the pop
///   wrote) is kept and those records are restored once the server answers again.
struct RedisConsumerStateMachine<Item> {
    enum Phase: Equatable {
        /// Fetching and delivering.
        case consuming
        /// No new deliveries; held ones can still be settled.
        case stopped
        /// Finished: held deliveries were given back.
        case cancelled
    }

    enum FetchKind: Equatable {
        /// Pop at once (the queue had messages last time).
        case pop
        /// Wait on the blocking connection until the queue has a message, then pop.
        case waitThenPop
    }

    /// What the fetch loop does next.
    enum FetchAction: Equatable {
        /// Fetch up to `count` messages; first restore what lost pops took (`recover`: their
        /// `unacked_index` scores).
        case fetch(FetchKind, count: Int, recover: [String])
        /// Every prefetch slot is taken, or deliveries are buffered: wait until a settlement
        /// frees enough.
        case waitForSlot
        /// A few slots are free and a fetch is wanted (empty buffer or a waiting reader):
        /// wait until ``refillAt`` are free or the batch window ends
        /// (``batchWindowEnded()``), whichever comes first.
        case waitForBatch
        /// Stopped or cancelled: end the loop.
        case finish
    }

    /// What a ``next()`` caller gets.
    enum ReadAction {
        case deliver(Item)
        case park(id: Int)
        case end
    }

    /// What to do with a fetch's items.
    struct FetchResult {
        /// Items for parked readers: resume them in this order (`readers[i]` gets `items[i]`).
        var handOff: [(reader: Int, item: Item)] = []
        /// Stopped meanwhile: these tags go straight back to the queue.
        var restore: [String] = []
    }

    private(set) var phase = Phase.consuming
    private(set) var prefetch: Int
    /// Delivery tags handed out or buffered, not yet settled.
    private(set) var held: Set<String> = []
    private var buffer: Deque<(tag: String, item: Item)> = []
    private var parked: Deque<Int> = []
    private var nextReader = 0
    private var fetching = false
    private var kind = FetchKind.pop
    private var lostPops: [String] = []
    private var failedAcks: [(tag: String, at: ContinuousClock.Instant)] = []
    private var waitingForSlot = false
    private var windowEnded = false
    /// The fetch loop waits with ``FetchAction/waitForBatch`` (a window timer runs).
    private var waitingForBatch = false
    /// The prefetch before ``adjustPrefetch(by:)`` (ETA messages held apart raise it).
    private let basePrefetch: Int

    init(prefetch: Int) {
        self.prefetch = max(1, prefetch)
        self.basePrefetch = self.prefetch
    }

    var freeSlots: Int { max(0, prefetch - held.count) }
    /// Free slots worth a fetch at once: half the configured prefetch (raising it for held
    /// ETA messages does not raise this).
    var refillAt: Int { max(1, min(prefetch, basePrefetch) / 2) }

    /// A fetch is wanted now though fewer than ``refillAt`` slots are free.
    private var wantsFew: Bool { freeSlots > 0 && (buffer.isEmpty || !parked.isEmpty) }

    /// Whether a fetch should start now (given free slots, the buffer, waiting readers and
    /// the batch window).
    private var fetchDue: Bool {
        freeSlots >= refillAt || (wantsFew && windowEnded)
    }
    var bufferedCount: Int { buffer.count }
    /// Whether the fetch loop waits (after ``FetchAction/waitForSlot`` or
    /// ``FetchAction/waitForBatch``) and nothing has woken it yet.
    var isWaitingForSlot: Bool { waitingForSlot }
    var parkedReaders: Int { parked.count }

    // MARK: Fetch loop

    mutating func nextFetch() -> FetchAction {
        guard phase == .consuming else { return .finish }
        precondition(!fetching, "one fetch at a time")
        if !fetchDue {
            waitingForSlot = true
            waitingForBatch = wantsFew
            return waitingForBatch ? .waitForBatch : .waitForSlot
        }
        fetching = true
        windowEnded = false
        let recover = lostPops
        lostPops.removeAll()
        return .fetch(kind, count: freeSlots, recover: recover)
    }

    /// A fetch returned `items` (tag, item) of the `asked` it asked for.
    mutating func fetched(_ items: [(tag: String, item: Item)], asked: Int) -> FetchResult {
        fetching = false
        kind = items.count < asked ? .waitThenPop : .pop
        var result = FetchResult()
        guard phase == .consuming else {
            result.restore = items.map(\.tag)
            return result
        }
        for (tag, item) in items {
            held.insert(tag)
            if let reader = parked.popFirst() {
                result.handOff.append((reader, item))
            } else {
                buffer.append((tag, item))
            }
        }
        return result
    }

    /// The server no longer knows the pop script (`NOSCRIPT` in a pipeline): pop through the
    /// path that loads it next.
    mutating func scriptMissing() {
        fetching = false
        kind = .pop
    }

    /// A fetch failed. `lostScore`: the pop was sent and its reply never came (it may have
    /// popped messages); they are recovered before the next fetch.
    mutating func fetchFailed(lostScore: String?) {
        fetching = false
        kind = .pop
        if let lostScore { lostPops.append(lostScore) }
    }

    /// The scores of pops whose replies were lost, taken for a recovery now (at a stop, when
    /// no next fetch will recover them).
    mutating func takeLostPops() -> [String] {
        defer { lostPops.removeAll() }
        return lostPops
    }

    /// Recovery of lost pops failed (server still away): try again before the next fetch.
    mutating func recoveryFailed(_ scores: [String]) {
        lostPops.insert(contentsOf: scores, at: 0)
    }

    /// Acks that could not be sent (connection lost): they already left the held set; they
    /// are sent again once the server answers (see ``takeAckRetries(now:maxAge:)``).
    mutating func acksFailed(_ tags: [(tag: String, at: ContinuousClock.Instant)]) {
        failedAcks.append(contentsOf: tags)
    }

    /// The failed acks to send again now: those younger than `maxAge` (older ones are left to
    /// the visibility restore — by then the message may be delivered again under the same tag,
    /// and a late ack would remove the new delivery's record).
    mutating func takeAckRetries(now: ContinuousClock.Instant, maxAge: Duration) -> [(tag: String, at: ContinuousClock.Instant)] {
        defer { failedAcks.removeAll() }
        return failedAcks.filter { now - $0.at < maxAge }
    }

    var hasAckRetries: Bool { !failedAcks.isEmpty }

    // MARK: Readers

    mutating func read() -> ReadAction {
        if let first = buffer.popFirst() { return .deliver(first.item) }
        guard phase == .consuming else { return .end }
        nextReader += 1
        parked.append(nextReader)
        return .park(id: nextReader)
    }

    /// A parked reader was cancelled; `true` if it was still parked (resume it with `nil`).
    mutating func readerCancelled(_ id: Int) -> Bool {
        guard let i = parked.firstIndex(of: id) else { return false }
        parked.remove(at: i)
        return true
    }

    // MARK: Settlement

    /// Whether `tag` is held (it may be requeued or dead-lettered).
    func isHeld(_ tag: String) -> Bool { held.contains(tag) }

    /// A delivery was settled, or settling it failed: it leaves the held set. Returns whether
    /// the fetch loop waits for a slot and must be woken.
    mutating func released(_ tags: some Sequence<String>) -> Bool {
        for t in tags { held.remove(t) }
        return wakeIfWaiting()
    }

    /// The prefetch limit changed by `delta` (at least 1). Returns whether to wake the fetch loop.
    mutating func adjustPrefetch(by delta: Int) -> Bool {
        prefetch = max(1, prefetch + delta)
        return wakeIfWaiting()
    }

    /// A slot wait lasted a wait slice: the fetch loop looks again (``nextFetch()`` waits
    /// again if nothing is due). Returns whether it was waiting (then wake it).
    mutating func recheck() -> Bool {
        guard waitingForSlot else { return false }
        waitingForSlot = false
        return true
    }

    /// The batch window of a ``FetchAction/waitForBatch`` ended. Returns whether to wake the
    /// fetch loop (a fetch of what is free is due now).
    mutating func batchWindowEnded() -> Bool {
        windowEnded = true
        return wakeIfWaiting()
    }

    /// Whether the fetch loop waits and a fetch is due now (call after ``read()``: taking the
    /// last buffered delivery or parking makes one due). Clears the wait when it returns `true`.
    /// Also wakes a plain slot wait once a fetch of a few is wanted, so the loop starts the
    /// batch window.
    mutating func wakeIfWaiting() -> Bool {
        guard waitingForSlot, fetchDue || phase != .consuming || (wantsFew && !waitingForBatch) else { return false }
        waitingForSlot = false
        return true
    }

    // MARK: Stopping

    /// Stops deliveries. Returns the parked readers to end (with `nil`) and the buffered tags
    /// never handed out (they go back to the queue and leave the held set).
    mutating func stop() -> (readers: [Int], restore: [String], wakeFetcher: Bool) {
        guard phase == .consuming else { return ([], [], false) }
        phase = .stopped
        let readers = Array(parked)
        parked.removeAll()
        let restore = buffer.map(\.tag)
        buffer.removeAll()
        for t in restore { held.remove(t) }
        let wake = waitingForSlot
        waitingForSlot = false
        return (readers, restore, wake)
    }

    /// Cancels: after ``stop()``, every held delivery goes back. Returns what ``stop()`` would
    /// plus the held tags (sorted).
    mutating func cancel() -> (readers: [Int], restore: [String], wakeFetcher: Bool) {
        guard phase != .cancelled else { return ([], [], false) }
        let s = stop()
        phase = .cancelled
        let rest = held.sorted()
        held.removeAll()
        return (s.readers, s.restore + rest, s.wakeFetcher)
    }
}
