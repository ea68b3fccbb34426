import Celery
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// One demo consumer: takes deliveries, "processes" them (optional delay), acknowledges, and
/// records what it saw.
final class DemoConsumer: Sendable {
    struct Record: Sendable {
        var seq: Int
        var redelivered: Bool
        var latencyMs: Double
    }

    let consumer: any MessageConsumer
    let processing: Duration?
    private let records = Mutex<[Record]>([])
    private let lastAt = Mutex<Date?>(nil)
    /// A caller of ``waitUntilReceived(_:)``: how many records it waits for.
    private let waiter = Mutex<(count: Int, continuation: CheckedContinuation<Void, Never>)?>(nil)

    init(_ consumer: any MessageConsumer, processing: Duration? = nil) {
        self.consumer = consumer
        self.processing = processing
    }

    var received: [Record] { records.withLock { $0 } }
    var count: Int { records.withLock { $0.count } }
    var finishedAt: Date? { lastAt.withLock { $0 } }

    /// Consumes until no delivery arrives for `idle`, or `limit` messages were processed.
    /// Returns the deliveries received but not processed (held when `limit` was reached).
    func run(idle: Duration, firstWait: Duration? = nil, limit: Int? = nil, holdAfterLimit: Int = 0) async -> [Delivery] {
        var held: [Delivery] = []
        var first = true
        while true {
            // `firstWait` (when given) bounds the wait for the first delivery instead of `idle`:
            // on a loaded machine the producer may start later than the consumers.
            let wait = first ? (firstWait ?? idle) : idle
            first = false
            guard let d = try? await consumer.next(within: wait) else { break }
            if let limit, count >= limit {
                held.append(d)
                if held.count >= holdAfterLimit { break }
                continue
            }
            if let processing { try? await Task.sleep(for: processing) }
            record(d)
            try? await d.ack()
        }
        return held
    }

    /// Takes `count` deliveries with plain `next()` (no timer per message), recording and
    /// acknowledging each; ends early when cancelled or the consumer ends.
    func run(count: Int) async {
        var n = 0
        while n < count, let d = try? await consumer.next() {
            record(d)
            try? await d.ack()
            n += 1
        }
    }

    /// Returns once `count` deliveries were recorded, or when the calling task is cancelled.
    /// One caller at a time (the demo's producer).
    func waitUntilReceived(_ count: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = records.withLock { r in
                    if r.count >= count { return true }
                    waiter.withLock { $0 = (count, c) }
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            waiter.withLock { w in
                defer { w = nil }
                return w?.continuation
            }?.resume()
        }
    }

    func record(_ d: Delivery) {
        let now = Date()  // first: the latency is the hand-off, not our decoding
        guard let (seq, sentAt) = DemoMessage.decode(d.message) else { return }
        let latency = (now.timeIntervalSince1970 - sentAt) * 1000
        let count = records.withLock { r in
            r.append(Record(seq: seq, redelivered: d.redelivered, latencyMs: latency))
            return r.count
        }
        lastAt.withLock { $0 = now }
        let ready = waiter.withLock { w -> CheckedContinuation<Void, Never>? in
            guard let pending = w, count >= pending.count else { return nil }
            w = nil
            return pending.continuation
        }
        ready?.resume()
    }
}

/// The demo's messages: real protocol v2 task messages for `demo.record(seq, sent_at)`.
enum DemoMessage {
    static func make(_ seq: Int) throws -> BrokerMessage {
        try TaskMessage(task: "demo.record", args: [.int(Int64(seq)), .double(Date().timeIntervalSince1970)]).brokerMessage()
    }

    static func decode(_ m: BrokerMessage) -> (Int, Double)? {
        guard let t = try? TaskMessage(m), t.args.count == 2, let seq = t.args[0].intValue, let at = t.args[1].doubleValue else {
            return nil
        }
        return (Int(seq), at)
    }
}

/// Percentiles over latencies.
enum Stats {
    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let idx = min(s.count - 1, max(0, Int((p / 100 * Double(s.count)).rounded(.up)) - 1))
        return (s[idx] * 1000).rounded() / 1000
    }
}
