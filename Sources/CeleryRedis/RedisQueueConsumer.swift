import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import DequeModule
import Logging
import NIOCore
import RESP

/// A queue-mode consumer: performs what its ``RedisConsumerStateMachine`` decides.
///
/// A fetch loop pops atomically (``RedisScript/pop``: as many messages per call as there are
/// free prefetch slots, recorded in `unacked` with one `ZADD` and one `HSET`) while fewer
/// than `prefetch` deliveries are held, like kombu and AMQP prefetch. When the queue was empty
/// it waits on its own blocking connection with `BLMOVE <queue> <queue> RIGHT RIGHT` — a no-op
/// rotation that returns as soon as the base list has an element — with the pop pipelined
/// behind it, so Redis pops the moment the wait ends. Acks that arrive in one event-loop tick
/// go out in one script call.
///
/// The actor runs on its broker's event loop (the loop of the connections it uses), so a reply
/// resumes it without a thread hop, and a whole batch is decoded in one pass there.
///
/// Faults: a failed connection fails every command in flight at once (``RedisConnection``),
/// the loop reconnects with a short backoff (at most 1 s), a delivery whose settlement failed
/// leaves the held set (its `unacked` record stays; the visibility restore brings it back),
/// and what a pop whose reply was lost took is restored once the server answers again.
actor RedisQueueConsumer: MessageConsumer {
    /// How long one blocking wait lasts before lower-priority lists (which `BLMOVE` cannot
    /// watch together with the base list) are checked again and the visibility restore runs.
    static let waitSlice: Duration = .seconds(1)
    /// How long a fetch of fewer than half the prefetch waits for more slots to free (acks
    /// coming in) before it goes out anyway.
    static let batchWindow: TimeAmount = .milliseconds(1)

    nonisolated let broker: RedisBroker
    nonisolated let queue: String
    private let id: UInt64
    private var machine: RedisConsumerStateMachine<Delivery>
    private var readers: [Int: CheckedContinuation<Delivery?, Never>] = [:]
    /// What was handed to (or ended) a parked reader before its continuation was registered
    /// (`.some(nil)`: ended). See ``next()``.
    private var earlyHandOffs: [Int: Delivery?] = [:]
    private var slotWaiter: CheckedContinuation<Void, Never>?
    private var blocking: RedisConnection?
    /// `halt()` is closing the blocking connection with a wait (and the pop behind it) in flight.
    private var closingBlocking = false
    private var blockingClientID: Int64?
    private var lastRestore: ContinuousClock.Instant?
    private var backoff = RedisBackoff(initial: .milliseconds(50), maximum: .seconds(1))
    private var fetcher: Task<Void, Never>?
    private var acks: RedisAckBatch
    private var ackDrainWaiters: [CheckedContinuation<Void, Never>] = []
    private var batchTimer: Scheduled<Void>?
    /// Prefix of the tags given to envelopes that carry none (`<prefix>.<n>`).
    private let fallbackTagPrefix = UUID().uuidString.lowercased()
    private var pops = 0
    private var lastScore = ""
    /// The queue name as a JSON string (for the `unacked` records the pop script writes).
    private let queueJSON: [UInt8]
    /// Held tags that have an entry in the delivery-count hash (redelivered ones): their ack
    /// also removes it. First deliveries have none, so their ack skips that command.
    private var counted: Set<String> = []

    nonisolated var unownedExecutor: UnownedSerialExecutor { broker.loop.executor.asUnownedSerialExecutor() }

    /// The broker's event loop as a task executor: the worker's reader and execution slots
    /// run there, so a delivery goes from the reply to its task and its ack on one thread.
    nonisolated let taskExecutor: (any TaskExecutor)?

    init(broker: RedisBroker, queue: String, prefetch: Int, id: UInt64) async {
        self.broker = broker
        self.queue = queue
        self.id = id
        self.machine = RedisConsumerStateMachine(prefetch: prefetch)
        self.acks = RedisAckBatch(keys: broker.keys)
        self.queueJSON = (try? JSONCoding.encode(JSONValue.string(queue))) ?? Array("\"\"".utf8)
        self.taskExecutor = EventLoopTaskExecutor(broker.loop)
        start()
    }

    private func start() {
        // The consumer's own tasks prefer its loop too: a continuation (a reply, a wake-up)
        // resumes a task on its preferred executor before it hops to the actor, so without
        // the preference every await here went through Swift's global pool and back.
        fetcher = Task(executorPreference: taskExecutor) { await self.fetchLoop() }
    }

    private var restoreInterval: Duration {
        min(max(broker.visibilityTimeout / 4, .seconds(1)), .seconds(60))
    }

    /// The next buffered delivery; waits for the fetch loop. `nil` once stopped or cancelled,
    /// or when the calling task is cancelled (nothing is lost: buffered deliveries stay).
    func next() async throws -> Delivery? {
        if Task.isCancelled { return nil }
        let action = machine.read()
        if machine.wakeIfWaiting() { slotWaiter.take()?.resume() }
        switch action {
        case .deliver(let d): return d
        case .end: return nil
        case .park(let reader):
            // `await` is a suspension point even here: a task preferring the loop's task
            // executor hops from the actor's serial executor to get into the body, and the
            // fetch loop may hand this reader a delivery meanwhile (kept in `earlyHandOffs`).
            return await withTaskCancellationHandler {
                await withCheckedContinuation { c in
                    if let early = earlyHandOffs.removeValue(forKey: reader) { c.resume(returning: early) } else { readers[reader] = c }
                }
            } onCancel: {
                Task { await self.cancelReader(reader) }
            }
        }
    }

    private func cancelReader(_ reader: Int) {
        if machine.readerCancelled(reader) { resume(reader: reader, with: nil) }
    }

    /// Resumes parked reader `reader`, or keeps what it gets until it registers.
    private func resume(reader: Int, with item: Delivery?) {
        if let c = readers.removeValue(forKey: reader) { c.resume(returning: item) } else { earlyHandOffs[reader] = item }
    }

    /// Waits until ``RedisConsumerStateMachine/wakeIfWaiting()`` (or a timer) ends the fetch
    /// loop's wait. The continuation is registered only while the machine still waits: the
    /// `await` may suspend before the body runs (see ``next()``), and a wake-up that came in
    /// between would otherwise be lost for good — the stall of the 2026-12-01 session.
    private func waitForWake() async {
        await withCheckedContinuation { c in
            if machine.isWaitingForSlot { slotWaiter = c } else { c.resume() }
        }
    }

    // MARK: Fetching

    private func fetchLoop() async {
        while true {
            switch machine.nextFetch() {
            case .finish:
                return
            case .waitForSlot:
                // Re-checked after a wait slice even without a wake-up (a safety net: a
                // missed wake-up costs at most that, never a stalled consumer).
                batchTimer = broker.loop.scheduleTask(in: .seconds(Int64(Self.waitSlice.components.seconds))) {
                    self.assumeIsolated { c in
                        c.batchTimer = nil
                        if c.machine.recheck() { c.slotWaiter.take()?.resume() }
                    }
                }
                await waitForWake()
                batchTimer.take()?.cancel()
            case .waitForBatch:
                batchTimer = broker.loop.scheduleTask(in: Self.batchWindow) {
                    self.assumeIsolated { c in
                        c.batchTimer = nil
                        if c.machine.batchWindowEnded() { c.slotWaiter.take()?.resume() }
                    }
                }
                await waitForWake()
                batchTimer.take()?.cancel()
            case .fetch(let kind, let count, let recover):
                await fetch(kind, count: count, recover: recover)
            }
        }
    }

    private func fetch(_ kind: RedisConsumerStateMachine<Delivery>.FetchKind, count: Int, recover: [String]) async {
        var sentScore: String?
        do {
            // Lost pops first: `recover` was taken from the machine for this fetch, and only
            // `recoverLostPops` gives it back when it fails. Retrying the acks first dropped
            // it whenever that retry failed (the server still away or loading), and the lost
            // pop's messages then waited in `unacked` for the visibility timeout (seen in
            // `Benchmarks/redis-restart-soak.sh`: 8 messages back only after 20 s). Failed acks
            // are kept by `retryFailedAcks` itself.
            if !recover.isEmpty { try await recoverLostPops(recover) }
            if machine.hasAckRetries { try await retryFailedAcks() }
            // Also on a busy queue: messages of crashed consumers must come back even when
            // this consumer never has to wait.
            try await restoreIfDue()
            // Stopped while the steps above waited: pop nothing (what a pop took now would
            // only go straight back, marked redelivered).
            guard machine.phase == .consuming else {
                _ = machine.fetched([], asked: 0)
                return
            }
            let (keys, args, score) = popArguments(count)
            sentScore = score
            let reply: RESPValue?
            switch kind {
            case .pop: reply = try await RedisScript.pop.run(broker.pool, keys: keys, args: args)
            case .waitThenPop: reply = try await waitThenPop(keys: keys, args: args)
            }
            guard let reply else {  // NOSCRIPT behind the wait: pop through the pool, which loads it
                machine.scriptMissing()
                return
            }
            backoff.reset()
            let result = machine.fetched(accept(reply), asked: count)
            for (reader, item) in result.handOff { resume(reader: reader, with: item) }
            await giveBack(result.restore)
        } catch {
            // A reply cut off by our own close (halt(), when `CLIENT UNBLOCK` failed) may
            // belong to a pop that ran.
            let lost = RedisQueueConsumer.replyMayBeLost(error) || closingBlocking ? sentScore : nil
            machine.fetchFailed(lostScore: lost)
            if let b = blocking {
                blocking = nil
                await b.close()
            }
            guard machine.phase == .consuming else { return }
            let delay = backoff.nextDelay()
            let what = (error as? RESPError)?.message ?? "\(error)"
            broker.logger.warning("Redis consumer of \(queue) failed (\(what)); retrying in \(delay)")
            CeleryMetrics.reconnected(transport: "redis")
            try? await Task.sleep(for: delay)
        }
    }

    /// Whether a failed command may have run on the server without its reply reaching us.
    static func replyMayBeLost(_ error: any Error) -> Bool {
        guard let e = error as? RESPError else { return true }
        switch e.kind {
        case .server, .badURL, .closed: return false
        default: return true
        }
    }

    /// Whether a failed ack is sent again once the server answers: after any failure but a
    /// script error. An ack whose reply was lost may have run (sending it again is harmless);
    /// one the server refused while starting up (`LOADING` after a restart with an AOF file,
    /// `BUSY`, `TRYAGAIN`, `MASTERDOWN`, `READONLY` during a failover) did not run, and without
    /// a retry its record stayed in `unacked` for the whole visibility timeout.
    static func ackWorthRetrying(_ error: any Error) -> Bool {
        guard let e = error as? RESPError, e.kind == .server else { return true }
        return ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "NOSCRIPT"].contains { e.message.hasPrefix($0) }
    }

    private func popArguments(_ count: Int) -> (keys: [String], args: [RESPValue], score: String) {
        let k = broker.keys
        pops += 1
        var score = RedisBroker.now
        // Distinct per pop of this consumer, so a lost pop's records can be found by score.
        if score <= lastScore { score = RedisBroker.after(lastScore) }
        lastScore = score
        return (
            RedisEnvelope.listKeys(queue: queue) + [k.unacked, k.unackedIndex, k.deliveryCount],
            [RESPValue(score), RESPValue("\(fallbackTagPrefix).\(pops)"), RESPValue(bytes: queueJSON), RESPValue(min(max(1, count), 1000))],
            score
        )
    }

    /// Decodes a pop reply (``RedisScript/pop``: `[tags, counts, envelopes…]`) in one pass.
    private func accept(_ reply: RESPValue) -> [(tag: String, item: Delivery)] {
        guard let parts = reply.array, parts.count >= 3, let tags = parts[0].array else { return [] }
        var counts = [Int](repeating: 1, count: tags.count)
        if let pairs = parts[1].array {
            var j = 0
            while j + 1 < pairs.count {
                if let at = pairs[j].int, let n = pairs[j + 1].int, at >= 1, at <= tags.count { counts[Int(at) - 1] = Int(n) }
                j += 2
            }
        }
        var out: [(tag: String, item: Delivery)] = []
        out.reserveCapacity(tags.count)
        var k = 0
        for list in parts[2...] {
            for element in list.array ?? [] {
                defer { k += 1 }
                guard k < tags.count, let raw = element.bytes, let tag = tags[k].string else { continue }
                if counts[k] > 1 { counted.insert(tag) }
                let decoded = RedisEnvelope.decode(raw)
                out.append((tag, Delivery(
                    message: decoded.message, route: .queue(queue), redelivered: decoded.redelivered,
                    deliveryCount: counts[k],
                    acknowledger: RedisAcknowledger(consumer: self, tag: tag, raw: raw))))
            }
        }
        return out
    }

    private func restoreIfDue() async throws {
        if lastRestore.map({ ContinuousClock.now - $0 >= restoreInterval }) ?? true {
            lastRestore = ContinuousClock.now
            try await broker.restoreVisible()
        }
    }

    /// Sends again the acks that failed while the connection was down (within half the
    /// visibility timeout of the failure), so what already ran is not redelivered.
    private func retryFailedAcks() async throws {
        let retry = machine.takeAckRetries(now: .now, maxAge: broker.visibilityTimeout / 2)
        guard !retry.isEmpty else { return }
        var sent = 0
        do {
            for chunk in stride(from: 0, to: retry.count, by: RedisAckBatch.limit) {
                let part = retry[chunk..<min(chunk + RedisAckBatch.limit, retry.count)]
                let tags = part.map(\.tag)
                _ = try await sendAcks(tags, counted: tags)  // rare: also clear any count entry
                sent = chunk + part.count
            }
            broker.logger.warning("sent again \(retry.count) acks on \(queue) that failed while the connection was down")
        } catch {
            machine.acksFailed(Array(retry[sent...]))
            throw error
        }
    }

    /// Restores what pops whose replies were lost took (records with their scores that this
    /// consumer does not hold).
    private func recoverLostPops(_ scores: [String]) async throws {
        do {
            let replies = try await broker.pool.pipeline(scores.map {
                ["ZRANGEBYSCORE", RESPValue(broker.keys.unackedIndex), RESPValue($0), RESPValue($0)]
            })
            var n = 0
            for r in replies {
                if case .error(let e) = r { throw RESPError(.server, e) }
                for t in r.array ?? [] {
                    guard let tag = t.string, !machine.isHeld(tag) else { continue }
                    if try await broker.restore(tag: tag) { n += 1 }
                }
            }
            if n > 0 {
                broker.logger.warning("restored \(n) messages of \(queue) popped while the connection failed (their reply was lost)")
            }
        } catch {
            machine.recoveryFailed(scores)
            throw error
        }
    }

    /// Waits (at most ``waitSlice``) for the base list to get an element, then pops in the
    /// same pipeline; returns the pop's reply (empty after a timeout), or `nil` when the
    /// server has forgotten the pop script (`NOSCRIPT`).
    private func waitThenPop(keys: [String], args: [RESPValue]) async throws -> RESPValue? {
        let connection: RedisConnection
        if let b = blocking, b.isActive {
            connection = b
        } else {
            let c = try await broker.connector.connect(group: broker.loop, logger: broker.logger)
            do {
                blockingClientID = try await c.send(["CLIENT", "ID"]).int
            } catch {
                await c.close()
                throw error
            }
            connection = c
            blocking = c
        }
        guard machine.phase == .consuming else { return .array([]) }
        let seconds = Double(Self.waitSlice.components.seconds)
        // A black-holed blocking connection is found one health-check interval after the wait.
        let timeout = Self.waitSlice + (broker.configuration.healthCheckInterval ?? broker.configuration.commandTimeout)
        let replies = try await connection.pipeline(
            [["BLMOVE", RESPValue(queue), RESPValue(queue), "RIGHT", "RIGHT", RESPValue(String(seconds))],
             RedisScript.pop.evalshaCommand(keys: keys, args: args)], timeout: timeout)
        if case .error(let e) = replies[0] { throw RESPError(.server, e) }
        switch replies[1] {
        case .error(let e) where e.hasPrefix("NOSCRIPT"): return nil
        case .error(let e): throw RESPError(.server, e)
        case let reply: return reply
        }
    }

    // MARK: Settlement (called by RedisAcknowledger)

    enum Settlement { case ack, requeue, deadLetter(String), touch }

    func settle(_ tag: String, _ how: Settlement, raw: [UInt8]) async throws {
        let k = broker.keys
        let pool = broker.pool
        switch how {
        case .touch:
            _ = try await RedisScript.touch.run(pool, keys: [k.unackedIndex], args: [RESPValue(RedisBroker.now), RESPValue(tag)])
            return
        case .ack:
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                queueAck(tag, .continuation(c))
            }
        case .requeue:
            guard machine.isHeld(tag) else {
                throw CeleryError(.invalidState, "delivery \(tag) of \(queue) is no longer held by its consumer")
            }
            defer { release([tag]) }
            try await broker.restore(tag: tag)
        case .deadLetter(let reason):
            guard machine.isHeld(tag) else {
                throw CeleryError(.invalidState, "delivery \(tag) of \(queue) is no longer held by its consumer")
            }
            defer { release([tag]) }
            let record: JSONValue = [
                "reason": .string(reason), "queue": .string(queue),
                "dead_lettered_at": .string(CeleryDate.format(Date())),
                "message": .string(String(decoding: raw, as: UTF8.self)),
            ]
            _ = try await RedisScript.deadLetter.run(
                pool, keys: [k.unacked, k.unackedIndex, k.deliveryCount, RedisKeys.deadLetter(queue: queue)],
                args: [RESPValue(tag), RESPValue(bytes: try JSONCoding.encode(record))])
        }
    }

    /// Queues an ack for the next batch without waiting for it (``RedisAcknowledger/ackWithoutWaiting(finished:)``).
    nonisolated func ackSoon(_ tag: String, finished: @escaping @Sendable ((any Error)?) -> Void) {
        if broker.loop.inEventLoop {
            assumeIsolated { $0.queueAck(tag, .callback(finished)) }
        } else {
            broker.loop.execute { self.assumeIsolated { $0.queueAck(tag, .callback(finished)) } }
        }
    }

    private func queueAck(_ tag: String, _ waiter: RedisAckWaiter) {
        if acks.add(tag, waiter) { broker.loop.execute { self.assumeIsolated { $0.sendAcks() } } }
    }

    /// Waits until every queued ack has been sent and answered (before held deliveries are
    /// given back: an ack still on its way must not race their restore).
    private func acksSettled() async {
        await withCheckedContinuation { c in
            if acks.isIdle { c.resume() } else { ackDrainWaiters.append(c) }
        }
    }

    /// Sends the acks collected in this event-loop tick in one script call. Succeeded or not,
    /// they leave the held set (a failed ack's record stays in `unacked` for the visibility restore).
    private func sendAcks() {
        while true {
            let batch = acks.take()
            guard !batch.isEmpty else { return }
            send(acks: batch)
        }
    }

    private func send(acks batch: [(tag: String, done: RedisAckWaiter)]) {
        acks.inFlight += 1
        Task(executorPreference: taskExecutor) { await self.run(acks: batch) }
    }

    private func run(acks batch: [(tag: String, done: RedisAckWaiter)]) async {
        defer {
            acks.inFlight -= 1
            // Acks that arrived meanwhile go together now.
            if acks.inFlight == 0 { sendAcks() }
            if acks.isIdle, !ackDrainWaiters.isEmpty {
                let waiters = ackDrainWaiters
                ackDrainWaiters.removeAll()
                for w in waiters { w.resume() }
            }
        }
        do {
            let tags = batch.map(\.tag)
            let removed = try await sendAcks(tags, counted: counted.isEmpty ? [] : tags.filter { counted.contains($0) })
            if removed < batch.count {
                broker.logger.warning("\(batch.count - removed) of \(batch.count) acks on \(queue) were no longer in flight (restored after the visibility timeout?)")
            }
            release(batch.map(\.tag))
            for a in batch { a.done.succeeded() }
        } catch {
            if RedisQueueConsumer.ackWorthRetrying(error) {
                let now = ContinuousClock.now
                machine.acksFailed(batch.map { ($0.tag, now) })
            }
            release(batch.map(\.tag))
            for a in batch { a.done.failed(error) }
        }
    }

    /// Sends one ack pipeline (``RedisAckBatch/commands(_:counted:)``); returns how many of
    /// the tags still had a record.
    private func sendAcks(_ tags: [String], counted: [String]) async throws -> Int {
        let replies = try await broker.pool.pipeline(acks.commands(tags, counted: counted))
        for r in replies { if case .error(let e) = r { throw RESPError(.server, e) } }
        return Int(replies.first?.int ?? 0)
    }

    private func release(_ tags: [String]) {
        if !counted.isEmpty { for t in tags { counted.remove(t) } }
        if machine.released(tags) { slotWaiter.take()?.resume() }
    }

    func adjustPrefetch(by delta: Int) async {
        if machine.adjustPrefetch(by: delta) { slotWaiter.take()?.resume() }
    }

    /// Stops new deliveries (a waiting ``next()`` returns `nil`); held deliveries stay held
    /// and can still be acknowledged, requeued or dead-lettered.
    func stopDeliveries() async {
        let s = machine.stop()
        await finish(s)
    }

    /// Stops consuming: interrupts a blocking wait and pushes every held delivery back to
    /// the queue marked redelivered.
    func cancel() async {
        guard machine.phase != .cancelled else { return }
        await acksSettled()
        // Acks that failed while the connection was down and were not sent again yet (the
        // fetch loop sends them before its next pop; it may have stopped first): sent now, or
        // their records would wait in `unacked` for the visibility restore and run again.
        if machine.hasAckRetries {
            do { try await retryFailedAcks() } catch {
                broker.logger.error("could not send again the failed acks on \(queue): \(error); the visibility timeout will redeliver them")
            }
        }
        guard machine.phase != .cancelled else { return }
        let s = machine.cancel()
        counted.removeAll()
        await finish(s)
        broker.forget(consumer: id)
    }

    private func finish(_ s: (readers: [Int], restore: [String], wakeFetcher: Bool)) async {
        for r in s.readers { resume(reader: r, with: nil) }
        if s.wakeFetcher { slotWaiter.take()?.resume() }
        await halt()
        await giveBack(s.restore)
    }

    /// Pushes deliveries that are not handed out (or no longer held) back to the queue at once.
    private func giveBack(_ tags: [String]) async {
        for tag in tags {
            do { try await broker.restore(tag: tag) } catch {
                broker.logger.error("could not restore \(tag) to \(queue): \(error); the visibility timeout will")
            }
        }
    }

    /// Stops the fetch loop.
    private func halt() async {
        guard let f = fetcher else { return }
        fetcher = nil
        if let b = blocking {
            // End a blocking wait early; the pop pipelined behind it still runs and its reply
            // still comes (the fetch loop restores what it took). Close only if we cannot.
            var unblocked = false
            if let id = blockingClientID {
                unblocked = (try? await broker.pool.send(["CLIENT", "UNBLOCK", RESPValue(String(id))])) != nil
            }
            if !unblocked {
                closingBlocking = true
                await b.close()
            }
        }
        f.cancel()
        // Let a restore or pop in progress finish (and release `unacked_mutex`) before the
        // broker closes its pool.
        await f.value
        closingBlocking = false
        if let b = blocking { await b.close() }
        blocking = nil
        // A pop whose reply was lost (the connection failed, or was closed above, with it in
        // flight) is recovered before the next pop; there is none now, so it is done here:
        // what it took goes straight back instead of waiting for the visibility restore.
        let lost = machine.takeLostPops()
        if !lost.isEmpty {
            do { try await recoverLostPops(lost) } catch {
                broker.logger.error("could not restore what a lost pop on \(queue) took: \(error); the visibility timeout will")
            }
        }
    }
}
