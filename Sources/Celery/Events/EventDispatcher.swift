#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import DequeModule
import Logging
import Synchronization

/// Sends Celery events (`task-started`, `worker-heartbeat`…) in broadcast mode on the
/// `celeryev` channel, in Celery's event format: a JSON object with `type`, `hostname`,
/// `timestamp`, `utcoffset`, `pid`, `clock` and the event's own fields. Each message carries
/// its routing key so transports route it as Celery does (a topic exchange on RabbitMQ,
/// `/<db>.celeryev/<key>` on Redis).
///
/// Task events are batched as Celery's own worker batches them (see ``EventBatcher``): up to
/// ``batchSize`` (default 24, Celery's `buffer_limit`) travel as ONE message whose body is a
/// JSON list of events, routing key `task.multi`, which Celery 4+ receivers (`celery events`,
/// Flower, our dashboard) unpack. Worker events (`worker-online`, heartbeats) stay single.
/// A batch size of 1 sends every event as its own message (for receivers older than Celery 4).
///
/// Events are fire-and-forget by nature (pub/sub): with nobody listening they are dropped.
/// ``send(_:_:)`` only writes the event and queues it; one sender task publishes what has
/// queued up, in order, as one `publish(batch:)` (one pipelined round trip on Redis), so a
/// task never waits for the broker to take its events. Each time the sender takes what is
/// waiting it also closes the open batch, so an idle worker's event leaves at once. At most
/// ``bufferLimit`` events wait; beyond that the oldest are dropped and counted
/// (``dropped``). A failed publish is logged at debug level, never raised into task
/// processing. ``flush()`` waits until everything queued so far has been handed to the
/// broker (the worker calls it before it stops).
public final class EventDispatcher: Sendable {
    /// The broadcast channel of events (Celery's `celeryev` exchange).
    public static let channel = "celeryev"
    /// Most events waiting to be sent.
    public static let bufferLimit = 10_000
    /// Most messages in one `publish(batch:)`.
    public static let batchLimit = 2048
    /// Task events per `task.multi` message by default (Celery's worker: 24).
    public static let defaultBatchSize = 24

    let broker: any Broker
    let hostname: String
    let logger: Logger
    /// Task events per message (1 = every event its own message).
    public let batchSize: Int
    private let pid = JSONValue.int(Int64(ProcessInfo.processInfo.processIdentifier))
    /// Every event's message headers (built once).
    private let headers: [String: JSONValue]

    private struct State {
        var clock: Int64 = 0
        var batcher: EventBatcher
        var sending = false
        var published = PublishCounts()
        var idleWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter = 0
    }
    private let state: Mutex<State>

    /// Messages and events handed to the broker so far.
    public struct PublishCounts: Sendable, Equatable {
        /// Broker messages published (a `task.multi` batch counts once).
        public var messages = 0
        /// Events in them.
        public var events = 0
    }

    /// A dispatcher publishing through `broker` as worker `hostname`; `batchSize` task
    /// events per message (default 24; 1 turns batching off).
    public init(broker: any Broker, hostname: String, logger: Logger, batchSize: Int = EventDispatcher.defaultBatchSize) {
        self.broker = broker
        self.hostname = hostname
        self.logger = logger
        self.batchSize = max(1, batchSize)
        headers = ["hostname": .string(hostname)]
        state = Mutex(State(batcher: EventBatcher(limit: batchSize, bufferLimit: Self.bufferLimit)))
    }

    /// Celery's routing key of an event type: `task-started` → `task.started`.
    public static func routingKey(_ type: String) -> String {
        String(decoding: type.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
    }

    /// Whether `key` is one of the keys every event carries (`type`, `hostname`, `timestamp`,
    /// `utcoffset`, `pid`, `clock`); a caller's field of the same name is replaced.
    /// Length and first byte rule out almost every other key before a string comparison.
    @inline(__always)
    static func isStandardKey(_ key: String) -> Bool {
        let u = key.utf8
        switch (u.count, u.first ?? 0) {
        case (4, UInt8(ascii: "t")): return key == "type"
        case (8, UInt8(ascii: "h")): return key == "hostname"
        case (9, UInt8(ascii: "t")): return key == "timestamp"
        case (9, UInt8(ascii: "u")): return key == "utcoffset"
        case (3, UInt8(ascii: "p")): return key == "pid"
        case (5, UInt8(ascii: "c")): return key == "clock"
        default: return false
        }
    }

    /// An event's JSON body on its own (takes the next `clock`): the caller's fields
    /// (key-sorted), then the standard ones (`type`, `hostname`, `timestamp`, `utcoffset`,
    /// `pid`, `clock`).
    func eventBody(_ type: String, _ fields: [String: JSONValue]) -> [UInt8] {
        let c = state.withLock { s -> Int64 in s.clock += 1; return s.clock }
        var out: [UInt8] = []
        writeEvent(type, clock: c, sorted: fields, into: &out)
        return out
    }

    /// The same with the caller's fields in the order given (no dictionary to build or sort).
    func eventBody(_ type: String, ordered fields: KeyValuePairs<String, JSONValue>) -> [UInt8] {
        let c = state.withLock { s -> Int64 in s.clock += 1; return s.clock }
        var out: [UInt8] = []
        writeEvent(type, clock: c, ordered: fields, into: &out)
        return out
    }

    private func writeEvent(_ type: String, clock: Int64, sorted fields: [String: JSONValue], into out: inout [UInt8]) {
        writeEvent(type, clock: clock, into: &out) { out in
            for (k, v) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) where !Self.isStandardKey(k) {
                Self.writeField(k, v, into: &out)
            }
        }
    }

    private func writeEvent(_ type: String, clock: Int64, ordered fields: KeyValuePairs<String, JSONValue>, into out: inout [UInt8]) {
        writeEvent(type, clock: clock, into: &out) { out in
            for (k, v) in fields where !Self.isStandardKey(k) { Self.writeField(k, v, into: &out) }
        }
    }

    @inline(__always)
    private static func writeField(_ k: String, _ v: JSONValue, into out: inout [UInt8]) {
        JSONWriter.writeString(k, into: &out)
        out.append(UInt8(ascii: ":"))
        JSONWriter.write(v, into: &out)
        out.append(UInt8(ascii: ","))
    }

    @inline(__always)
    private func writeEvent(_ type: String, clock c: Int64, into out: inout [UInt8], fields writeFields: (inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "{"))
        writeFields(&out)
        out.append(contentsOf: #""type":"#.utf8)
        JSONWriter.writeString(type, into: &out)
        out.append(contentsOf: #","hostname":"#.utf8)
        JSONWriter.writeString(hostname, into: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        JSONWriter.write(.double(Date().timeIntervalSince1970), into: &out)
        out.append(contentsOf: #","utcoffset":0,"pid":"#.utf8)
        JSONWriter.write(pid, into: &out)
        out.append(contentsOf: #","clock":"#.utf8)
        out.append(contentsOf: String(c).utf8)
        out.append(UInt8(ascii: "}"))
    }

    /// Queues an event for sending; returns at once.
    public func send(_ type: String, _ fields: [String: JSONValue] = [:]) async {
        enqueue(type) { c, out in self.writeEvent(type, clock: c, sorted: fields, into: &out) }
    }

    /// Queues an event whose fields are written in the order given; returns at once. The
    /// worker's per-task events use this (no dictionary per event).
    public func send(_ type: String, ordered fields: KeyValuePairs<String, JSONValue>) async {
        enqueue(type) { c, out in self.writeEvent(type, clock: c, ordered: fields, into: &out) }
    }

    /// Writes the event straight into its batch under the lock, so the clock order is the
    /// order on the wire.
    private func enqueue(_ type: String, write: (Int64, inout [UInt8]) -> Void) {
        let (start, droppedNow, droppedTotal) = state.withLock { s -> (Bool, Int, Int) in
            s.clock += 1
            let c = s.clock
            let dropped = s.batcher.add(type) { out in write(c, &out) }
            if s.sending { return (false, dropped, s.batcher.dropped) }
            s.sending = true
            return (true, dropped, s.batcher.dropped)
        }
        if droppedNow > 0 { noteDropped(droppedNow, total: droppedTotal) }
        if start { Task { await self.drain() } }
    }

    private func noteDropped(_ n: Int, total: Int) {
        CeleryMetrics.eventsDropped(n)
        // Once at the first loss, then every 10 000 events.
        if total == n || total / 10_000 != (total - n) / 10_000 {
            logger.warning(
                "\(total) event(s) dropped so far: the broker takes events slower than this worker makes them (at most \(Self.bufferLimit) wait); monitors miss them")
        }
    }

    /// Events dropped because too many were waiting (the broker was slow or unreachable).
    public var dropped: Int { state.withLock { $0.batcher.dropped } }

    /// Messages and events handed to the broker so far (failed publishes included).
    public var published: PublishCounts { state.withLock { $0.published } }

    /// Waits until every event queued so far has been handed to the broker (or failed), at
    /// most `timeout`; returns whether the queue was drained.
    @discardableResult
    public func flush(within timeout: Duration = .seconds(5)) async -> Bool {
        var id = 0
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let idle = state.withLock { s -> Bool in
                if !s.sending { return true }
                id = s.nextWaiter
                s.nextWaiter += 1
                s.idleWaiters[id] = c
                return false
            }
            if idle { c.resume(returning: true); return }
            let waiter = id
            Task {
                try? await Task.sleep(for: timeout)
                let late = self.state.withLock { $0.idleWaiters.removeValue(forKey: waiter) }
                if late != nil { c.resume(returning: false) }
            }
        }
    }

    private func drain() async {
        // Events come in bursts (received, started and succeeded within microseconds for a
        // short task): let the sender's caller run on before the first batch is taken.
        await Task.yield()
        while true {
            let (batch, waiters) = state.withLock { s -> ([EventBatcher.Outgoing], [CheckedContinuation<Bool, Never>]) in
                if s.batcher.isEmpty {
                    s.sending = false
                    defer { s.idleWaiters.removeAll() }
                    return ([], Array(s.idleWaiters.values))
                }
                let b = s.batcher.take(max: Self.batchLimit)
                s.published.messages += b.count
                for m in b { s.published.events += m.events }
                return (b, [])
            }
            if batch.isEmpty {
                for w in waiters { w.resume(returning: true) }
                return
            }
            let messages = batch.map { m in
                BrokerMessage(body: m.body, headers: headers, deliveryMode: 1, extraProperties: ["routing_key": .string(m.routingKey)])
            }
            do { try await broker.publish(batch: messages, to: .broadcast(Self.channel)) } catch {
                logger.debug("\(batch.count) event message(s) not sent: \(error)")
            }
        }
    }
}
