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
/// `timestamp`, `utcoffset`, `pid`, `clock` and the event's own fields. Each event carries
/// its routing key (`task.started`…) so transports route it as Celery does (a topic exchange
/// on RabbitMQ, `/<db>.celeryev/<key>` on Redis).
///
/// Events are fire-and-forget by nature (pub/sub): with nobody listening they are dropped.
/// ``send(_:_:)`` only builds the event and queues it; one sender task publishes what has
/// queued up, in order, as one batch (one pipelined round trip on Redis), so a task never
/// waits for the broker to take its events. At most ``bufferLimit`` events wait; beyond
/// that the oldest are dropped and counted (``dropped``). A failed publish is logged at
/// debug level, never raised into task processing. ``flush()`` waits until everything
/// queued so far has been handed to the broker (the worker calls it before it stops).
public final class EventDispatcher: Sendable {
    /// The broadcast channel of events (Celery's `celeryev` exchange).
    public static let channel = "celeryev"
    /// Most events waiting to be sent.
    public static let bufferLimit = 10_000
    /// Most events in one batch.
    public static let batchLimit = 2048

    let broker: any Broker
    let hostname: String
    let logger: Logger
    private let pid = JSONValue.int(Int64(ProcessInfo.processInfo.processIdentifier))
    /// Every event's message headers (built once).
    private let headers: [String: JSONValue]

    private struct State {
        var clock: Int64 = 0
        var queued: Deque<BrokerMessage> = []
        var sending = false
        var dropped = 0
        var idleWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    public init(broker: any Broker, hostname: String, logger: Logger) {
        self.broker = broker
        self.hostname = hostname
        self.logger = logger
        headers = ["hostname": .string(hostname)]
    }

    /// Celery's routing key of an event type: `task-started` → `task.started`.
    public static func routingKey(_ type: String) -> String {
        String(decoding: type.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
    }

    /// Whether `key` is one of the keys every event carries (`type`, `hostname`, `timestamp`,
    /// `utcoffset`, `pid`, `clock`); a caller's field of the same name is replaced.
    @inline(__always)
    static func isStandardKey(_ key: String) -> Bool {
        switch key {
        case "type", "hostname", "timestamp", "utcoffset", "pid", "clock": return true
        default: return false
        }
    }

    /// An event's JSON body, written directly: the caller's fields (key-sorted), then the
    /// standard ones (`type`, `hostname`, `timestamp`, `utcoffset`, `pid`, the next `clock`).
    func eventBody(_ type: String, _ fields: [String: JSONValue]) -> [UInt8] {
        eventBody(type) { out in
            for (k, v) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) where !Self.isStandardKey(k) {
                Self.writeField(k, v, into: &out)
            }
        }
    }

    /// The same with the caller's fields in the order given (no dictionary to build or sort).
    func eventBody(_ type: String, ordered fields: KeyValuePairs<String, JSONValue>) -> [UInt8] {
        eventBody(type) { out in
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

    private func eventBody(_ type: String, fields writeFields: (inout [UInt8]) -> Void) -> [UInt8] {
        let c = state.withLock { s -> Int64 in s.clock += 1; return s.clock }
        var out: [UInt8] = []
        out.reserveCapacity(256 + hostname.utf8.count)
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
        return out
    }

    /// Queues an event for sending; returns at once.
    public func send(_ type: String, _ fields: [String: JSONValue] = [:]) async {
        enqueue(type, body: eventBody(type, fields))
    }

    /// Queues an event whose fields are written in the order given; returns at once. The
    /// worker's per-task events use this (no dictionary per event).
    public func send(_ type: String, ordered fields: KeyValuePairs<String, JSONValue>) async {
        enqueue(type, body: eventBody(type, ordered: fields))
    }

    private func enqueue(_ type: String, body: [UInt8]) {
        let msg = BrokerMessage(
            body: body, headers: headers, deliveryMode: 1,
            extraProperties: ["routing_key": .string(Self.routingKey(type))])
        let (start, droppedNow) = state.withLock { s -> (Bool, Int) in
            s.queued.append(msg)
            var dropped = 0
            if s.queued.count > Self.bufferLimit {
                s.queued.removeFirst()
                s.dropped += 1
                dropped = s.dropped
            }
            if s.sending { return (false, dropped) }
            s.sending = true
            return (true, dropped)
        }
        if droppedNow > 0 { CeleryMetrics.eventsDropped(1) }
        if droppedNow == 1 || (droppedNow > 0 && droppedNow % 10_000 == 0) {
            logger.warning(
                "\(droppedNow) event(s) dropped so far: the broker takes events slower than this worker makes them (at most \(Self.bufferLimit) wait); monitors miss them")
        }
        if start { Task { await self.drain() } }
    }

    /// Events dropped because too many were waiting (the broker was slow or unreachable).
    public var dropped: Int { state.withLock { $0.dropped } }

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
            let (batch, waiters) = state.withLock { s -> ([BrokerMessage], [CheckedContinuation<Bool, Never>]) in
                if s.queued.isEmpty {
                    s.sending = false
                    defer { s.idleWaiters.removeAll() }
                    return ([], Array(s.idleWaiters.values))
                }
                let n = min(s.queued.count, Self.batchLimit)
                let b = Array(s.queued.prefix(n))
                s.queued.removeFirst(n)
                return (b, [])
            }
            if batch.isEmpty {
                for w in waiters { w.resume(returning: true) }
                return
            }
            do { try await broker.publish(batch: batch, to: .broadcast(Self.channel)) } catch {
                logger.debug("\(batch.count) event(s) not sent: \(error)")
            }
        }
    }
}
