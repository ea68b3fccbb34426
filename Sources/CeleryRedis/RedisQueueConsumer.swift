import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import RESP

/// A queue-mode consumer. A fetch loop pops atomically (``RedisScript/pop``, as many
/// messages per call as there are free prefetch slots) while fewer than `prefetch`
/// deliveries are held (handed out or buffered), like kombu and AMQP prefetch; acks that
/// arrive while one is in flight go together in the next ack script call; when the queue is
/// empty it waits on its own blocking connection with `BLMOVE <queue> <queue> RIGHT RIGHT` —
/// a no-op rotation that returns as soon as the base list has an element, without taking it —
/// with the pop script pipelined behind it, so Redis pops the moment the wait ends, with no
/// extra round trip. ``next()`` takes from the buffer.
///
/// Stopping unblocks that wait with `CLIENT UNBLOCK` instead of closing the connection, so a
/// pop that ran behind it still reaches us and its messages are restored at once (closing could
/// strand them in `unacked` until the visibility timeout).
actor RedisQueueConsumer: MessageConsumer {
    struct Held {
        var raw: [UInt8]
        var priority: Int?
    }

    /// How long one blocking wait lasts before lower-priority lists (which `BLMOVE` cannot
    /// watch together with the base list) are checked again and the visibility restore runs.
    static let waitSlice: Duration = .seconds(1)

    private let broker: RedisBroker
    private let queue: String
    private let id: UInt64
    private var prefetch: Int
    private var held: [String: Held] = [:]
    private var buffer: [Delivery] = []
    /// Callers of ``next()`` waiting for the buffer (any number; each re-checks when woken).
    private var bufferWaiters: [CheckedContinuation<Void, Never>] = []
    private var blocking: RedisConnection?
    private var blockingClientID: Int64?
    private var cancelled = false
    private var stopped = false
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    private var lastRestore: ContinuousClock.Instant?
    private var backoff = RedisBackoff()
    private var fetcher: Task<Void, Never>?
    private var pendingAcks: [(tag: String, done: CheckedContinuation<Void, any Error>)] = []
    private var acking = false
    /// Prefix of the tags given to envelopes that carry none (`<prefix>.<n>`).
    private let fallbackTagPrefix = UUID().uuidString.lowercased()
    private var pops = 0
    /// Whether the last pop returned fewer messages than it asked for.
    private var queueSeenEmpty = false

    init(broker: RedisBroker, queue: String, prefetch: Int, id: UInt64) async {
        self.broker = broker
        self.queue = queue
        self.prefetch = max(1, prefetch)
        self.id = id
        start()
    }

    private func start() {
        fetcher = Task { await self.fetchLoop() }
    }

    private var restoreInterval: Duration {
        min(max(broker.visibilityTimeout / 4, .seconds(1)), .seconds(60))
    }

    private var active: Bool { !cancelled && !stopped }

    /// The next buffered delivery; waits for the fetch loop. `nil` once stopped or cancelled,
    /// or when the calling task is cancelled (nothing is lost: buffered deliveries stay).
    func next() async throws -> Delivery? {
        while true {
            if !buffer.isEmpty { return buffer.removeFirst() }
            guard active, !Task.isCancelled else { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { bufferWaiters.append($0) }
            } onCancel: {
                Task { await self.wakeBufferWaiter() }
            }
        }
    }

    private func wakeBufferWaiter() {
        let waiting = bufferWaiters
        bufferWaiters.removeAll()
        for w in waiting { w.resume() }
    }

    private func fetchLoop() async {
        while active {
            if held.count >= prefetch {
                await withCheckedContinuation { slotWaiters.append($0) }
                continue
            }
            do {
                // Also on a busy queue: messages of crashed consumers must come back even
                // when this consumer never has to wait.
                try await restoreIfDue()
                // After a pop that got less than it asked for the lists were empty: wait right
                // away (the wait returns at once if messages arrived since) instead of spending a
                // round trip on a pop that would most likely come back empty.
                let want = prefetch - held.count
                let waited = queueSeenEmpty
                // nil: the server no longer has the pop script; the next pop goes through the
                // pool, which loads it.
                let got = waited ? try await waitForMessages(thenPop: want) : try await popMany(want)
                backoff.reset()
                queueSeenEmpty = got.map { $0.count < want } ?? false
                if let got, !got.isEmpty {
                    buffer.append(contentsOf: got)
                    wakeBufferWaiter()
                    // Let the deliveries go out to the worker before this actor spends time on
                    // the next wait's round trip (on a single-threaded executor the write would
                    // come first).
                    if waited { await Task.yield() }
                }
            } catch {
                guard active else { return }
                blocking = nil
                queueSeenEmpty = false
                let delay = backoff.nextDelay()
                let what = (error as? RESPError)?.message ?? "\(error)"
                broker.logger.warning("Redis consumer of \(queue) failed (\(what)); retrying in \(delay)")
                try? await Task.sleep(for: delay)
            }
        }
    }

    private func popMany(_ count: Int) async throws -> [Delivery] {
        let (keys, args) = popArguments(count)
        return await accept(try await RedisScript.pop.run(broker.pool, keys: keys, args: args))
    }

    private func popArguments(_ count: Int) -> (keys: [String], args: [RESPValue]) {
        let k = broker.keys
        pops += 1
        return (
            RedisEnvelope.listKeys(queue: queue) + [k.unacked, k.unackedIndex, k.deliveryCount],
            [RESPValue(RedisBroker.now), RESPValue("\(fallbackTagPrefix).\(pops)"), RESPValue(queue), RESPValue(max(1, count))]
        )
    }

    /// Turns a pop script reply into held deliveries (or restores them when stopped meanwhile).
    private func accept(_ reply: RESPValue) async -> [Delivery] {
        guard let parts = reply.array, parts.count >= 4 else { return [] }
        var out: [Delivery] = []
        out.reserveCapacity(parts.count / 4)
        for i in stride(from: 0, to: parts.count - 3, by: 4) {
            guard let raw = parts[i + 1].bytes, let tag = parts[i + 2].string else { continue }
            let decoded = RedisEnvelope.decode(raw)
            held[tag] = Held(raw: raw, priority: decoded.message.priority)
            out.append(Delivery(
                message: decoded.message, route: .queue(queue), redelivered: decoded.redelivered,
                deliveryCount: Int(parts[i + 3].int ?? 1), acknowledger: RedisAcknowledger(consumer: self, tag: tag)))
        }
        if !active {  // stopped while popping: give them straight back
            for d in out {
                guard let tag = (d.acknowledger as? RedisAcknowledger)?.tag else { continue }
                _ = try? await broker.restore(tag: tag)
                held[tag] = nil
            }
            return []
        }
        return out
    }

    private func restoreIfDue() async throws {
        if lastRestore.map({ ContinuousClock.now - $0 >= restoreInterval }) ?? true {
            lastRestore = ContinuousClock.now
            try await broker.restoreVisible()
        }
    }

    /// Waits (at most ``waitSlice``) for the base list to get an element, then pops up to
    /// `count` messages in the same pipeline; returns them (empty after a timeout), or `nil`
    /// when the server has forgotten the pop script (`NOSCRIPT`).
    private func waitForMessages(thenPop count: Int) async throws -> [Delivery]? {
        let connection: RedisConnection
        if let b = blocking, b.isActive {
            connection = b
        } else {
            let c = try await RedisConnection.connect(broker.configuration, logger: broker.logger)
            do {
                blockingClientID = try await c.send(["CLIENT", "ID"]).int
            } catch {
                await c.close()
                throw error
            }
            connection = c
            blocking = c
        }
        guard active else { return [] }
        let seconds = Double(Self.waitSlice.components.seconds)
        let timeout = Self.waitSlice + broker.configuration.commandTimeout
        let (keys, args) = popArguments(count)
        let replies = try await connection.pipeline(
            [["BLMOVE", RESPValue(queue), RESPValue(queue), "RIGHT", "RIGHT", RESPValue(String(seconds))],
             RedisScript.pop.evalshaCommand(keys: keys, args: args)], timeout: timeout)
        if case .error(let e) = replies[0] { throw RESPError(.server, e) }
        switch replies[1] {
        case .error(let e) where e.hasPrefix("NOSCRIPT"):
            return nil
        case .error(let e):
            throw RESPError(.server, e)
        case let reply:
            return await accept(reply)
        }
    }

    // MARK: Settlement (called by RedisAcknowledger)

    enum Settlement { case ack, requeue, deadLetter(String), touch }

    func settle(_ tag: String, _ how: Settlement) async throws {
        let k = broker.keys
        let pool = broker.pool
        switch how {
        case .touch:
            _ = try await RedisScript.touch.run(pool, keys: [k.unackedIndex], args: [RESPValue(RedisBroker.now), RESPValue(tag)])
            return
        case .ack:
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                pendingAcks.append((tag, c))
                if !acking {
                    acking = true
                    Task { await self.sendAcks() }
                }
            }
        case .requeue:
            guard held[tag] != nil else {
                throw CeleryError(.invalidState, "delivery \(tag) of \(queue) is no longer held by its consumer")
            }
            try await broker.restore(tag: tag)
        case .deadLetter(let reason):
            guard let h = held[tag] else {
                throw CeleryError(.invalidState, "delivery \(tag) of \(queue) is no longer held by its consumer")
            }
            let record: JSONValue = [
                "reason": .string(reason), "queue": .string(queue),
                "dead_lettered_at": .string(CeleryDate.format(Date())),
                "message": .string(String(decoding: h.raw, as: UTF8.self)),
            ]
            _ = try await RedisScript.deadLetter.run(
                pool, keys: [k.unacked, k.unackedIndex, k.deliveryCount, RedisKeys.deadLetter(queue: queue)],
                args: [RESPValue(tag), RESPValue(bytes: try JSONCoding.encode(record))])
        }
        held[tag] = nil
        wakeSlotWaiters()
    }

    /// Sends the acks that queued up in one script call, again until none are left.
    private func sendAcks() async {
        let k = broker.keys
        while !pendingAcks.isEmpty {
            let batch = pendingAcks
            pendingAcks.removeAll()
            do {
                let r = try await RedisScript.ack.run(
                    broker.pool, keys: [k.unacked, k.unackedIndex, k.deliveryCount], args: batch.map { RESPValue($0.tag) })
                let existed = r.array ?? []
                for (i, a) in batch.enumerated() {
                    if i >= existed.count || existed[i].int != 1 {
                        broker.logger.warning("ack of \(a.tag) on \(queue): it was no longer in flight (restored after the visibility timeout?)")
                    }
                    a.done.resume()
                }
            } catch {
                for a in batch { a.done.resume(throwing: error) }
            }
        }
        acking = false
    }

    private func wakeSlotWaiters() {
        let w = slotWaiters
        slotWaiters.removeAll()
        for c in w { c.resume() }
    }

    func adjustPrefetch(by delta: Int) async {
        prefetch = max(1, prefetch + delta)
        wakeSlotWaiters()
    }

    /// Stops new deliveries (a waiting ``next()`` returns `nil`); held deliveries stay held
    /// and can still be acknowledged, requeued or dead-lettered.
    func stopDeliveries() async {
        guard active else { return }
        stopped = true
        await halt()
        // Buffered deliveries were never handed out: they go back to the queue now.
        let unhanded = buffer.compactMap { ($0.acknowledger as? RedisAcknowledger)?.tag }
        buffer.removeAll()
        for tag in unhanded {
            _ = try? await broker.restore(tag: tag)
            held[tag] = nil
        }
    }

    /// Stops the fetch loop and wakes every waiter.
    private func halt() async {
        wakeSlotWaiters()
        wakeBufferWaiter()
        if let b = blocking {
            // End a blocking wait early; the pop pipelined behind it still runs and its reply
            // still comes (the fetch loop restores what it took). Close only if we cannot.
            var unblocked = false
            if let id = blockingClientID {
                unblocked = (try? await broker.pool.send(["CLIENT", "UNBLOCK", RESPValue(String(id))])) != nil
            }
            if !unblocked { await b.close() }
        }
        fetcher?.cancel()
        // Let a restore or pop in progress finish (and release `unacked_mutex`) before the
        // broker closes its pool.
        await fetcher?.value
        if let b = blocking { await b.close() }
        blocking = nil
    }

    /// Stops consuming: interrupts a blocking wait and pushes every held delivery back to
    /// the queue marked redelivered.
    func cancel() async {
        guard !cancelled else { return }
        cancelled = true
        await halt()
        buffer.removeAll()
        for tag in held.keys.sorted() {
            do { try await broker.restore(tag: tag) } catch {
                broker.logger.error("could not restore \(tag) to \(queue) on cancel: \(error); the visibility timeout will")
            }
        }
        held.removeAll()
        broker.forget(consumer: id)
    }
}

/// Settles one queue-mode delivery through its consumer.
struct RedisAcknowledger: DeliveryAcknowledger {
    let consumer: RedisQueueConsumer
    let tag: String

    func ack() async throws { try await consumer.settle(tag, .ack) }
    func requeue() async throws { try await consumer.settle(tag, .requeue) }
    func deadLetter(reason: String) async throws { try await consumer.settle(tag, .deadLetter(reason)) }
    func touch() async throws { try await consumer.settle(tag, .touch) }
}
