import Celery
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

    init(_ consumer: any MessageConsumer, processing: Duration? = nil) {
        self.consumer = consumer
        self.processing = processing
    }

    var received: [Record] { records.withLock { $0 } }
    var count: Int { records.withLock { $0.count } }
    var finishedAt: Date? { lastAt.withLock { $0 } }

    /// Consumes until no delivery arrives for `idle`, or `limit` messages were processed.
    /// Returns the deliveries received but not processed (held when `limit` was reached).
    func run(idle: Duration, limit: Int? = nil, holdAfterLimit: Int = 0) async -> [Delivery] {
        var held: [Delivery] = []
        while true {
            guard let d = try? await consumer.next(within: idle) else { break }
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

    func record(_ d: Delivery) {
        guard let (seq, sentAt) = DemoMessage.decode(d.message) else { return }
        let now = Date()
        let latency = (now.timeIntervalSince1970 - sentAt) * 1000
        records.withLock { $0.append(Record(seq: seq, redelivered: d.redelivered, latencyMs: latency)) }
        lastAt.withLock { $0 = now }
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
