#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Celery
import CeleryCommands

/// Plain-language conclusions computed from the measured numbers (never fixed text).
enum Conclusions {
    static func conclude(_ scenario: String, _ rs: [ScenarioResult]) -> String? {
        let b = rs.first { $0.mode == "broadcast" }
        let q = rs.filter { $0.mode == "queue" }
        guard let b, let q1 = q.first else { return nil }
        func split(_ r: ScenarioResult) -> String { r.receivedPerConsumer.map(String.init).joined(separator: "/") }
        switch scenario {
        case "fanout":
            return "Broadcast delivered \(b.receivedTotal) copies for \(b.sent) messages (\(split(b)) per subscriber: "
                + "\(b.receivedTotal == b.sent * b.consumers ? "every subscriber saw every message" : "\(b.lost ?? 0) copies missing")); "
                + "queue mode delivered \(q1.receivedTotal) for \(q1.sent) (\(split(q1)), \(q1.duplicates ?? 0) duplicates): "
                + "use broadcast to notify every worker, a queue to do each job once."
        case "offline":
            return "With nobody listening, broadcast lost \(b.lost ?? 0) of \(b.sent) messages (the late subscriber got \(b.receivedTotal)); "
                + "the queue kept them and the late consumer got \(q1.receivedTotal) of \(q1.sent)."
        case "crash":
            return "When a consumer died holding unacknowledged work, broadcast lost \(b.lost ?? 0) deliveries that subscriber never finished; "
                + "the queue lost \(q1.lost ?? 0) and redelivered \(q1.redelivered ?? 0) to the survivors "
                + "(\(q1.duplicates ?? 0) ran twice: at-least-once, so keep tasks idempotent)."
        case "balance":
            let p1 = q.first { $0.variant == "prefetch 1" }
            let pN = q.first { $0.variant != "prefetch 1" }
            var s = "A slow subscriber in broadcast mode still had to process all \(b.receivedPerConsumer.last ?? 0) messages"
            if let p99 = b.p99Ms { s += " and fell behind (p99 wait \(format(p99)) ms)" }
            s += "; "
            if let p1 { s += "in queue mode with prefetch 1 the fast consumer took \(p1.receivedPerConsumer.first ?? 0) and the slow one \(p1.receivedPerConsumer.last ?? 0)" }
            if let pN {
                s += ", with \(pN.variant ?? "a large prefetch") \(pN.receivedPerConsumer.first ?? 0)/\(pN.receivedPerConsumer.last ?? 0)"
                if let a = p1?.elapsedS, let c = pN.elapsedS { s += " (done in \(format(a)) s vs \(format(c)) s)" }
            }
            return s + ": a small prefetch keeps long tasks off a busy worker."
        case "latency":
            return "Broadcast: p50 \(format(b.p50Ms)) ms, p99 \(format(b.p99Ms)) ms, \(Int(b.throughputPerS ?? 0))/s; "
                + "queue: p50 \(format(q1.p50Ms)) ms, p99 \(format(q1.p99Ms)) ms, \(Int(q1.throughputPerS ?? 0))/s"
                + latencyVerdict(broadcast: b, queue: q1)
        case "restart":
            return "After the broker restart, broadcast kept \(b.receivedTotal) of \(b.sent); the queue kept \(q1.receivedTotal) of \(q1.sent) (\(q1.receivedTotal == q1.sent ? "persisted" : q1.receivedTotal == 0 ? "not persisted: gone with the restart" : "partly persisted"))."
        default:
            return nil
        }
    }

    /// What the latency figures say, derived from them: which mode handed messages over
    /// faster (medians more than 10 % apart), or that they were alike.
    static func latencyVerdict(broadcast b: ScenarioResult, queue q: ScenarioResult) -> String {
        guard let bp = b.p50Ms, let qp = q.p50Ms, bp > 0, qp > 0 else { return "." }
        let ratio = qp / bp
        if ratio > 1.1 {
            return " — the queue took \(format(ratio))× as long per hand-off: it pays for acknowledgements and bookkeeping."
        }
        if ratio < 1 / 1.1 {
            return " — here the queue handed messages over faster (broadcast took \(format(1 / ratio))× as long): "
                + "acknowledgements cost less than the fan-out path on this transport."
        }
        return " — about the same per hand-off (within 10 %): neither acknowledgements nor fan-out dominate here."
    }

    static func format(_ v: Double?) -> String {
        guard let v else { return "-" }
        return Format.fixed(v, places: v >= 100 ? 0 : v >= 10 ? 1 : 3)
    }
}
