import Celery
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Send times by id, and start/end times from the worker's events.
final class BenchRecorder: Sendable {
    struct State {
        var sentAt: [String: Double] = [:]
        var startedAt: [String: Double] = [:]
        var doneAt: [String: Double] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        var aborted = false
    }
    let expected: Int
    private let state = Mutex(State())

    init(expected: Int) { self.expected = expected }

    func sent(_ id: String) {
        let now = Date().timeIntervalSince1970
        state.withLock { $0.sentAt[id] = now }
    }

    /// Reads events until cancelled.
    func collect(from consumer: any MessageConsumer) async {
        while !Task.isCancelled, let d = try? await consumer.next() {
            for e in EventDispatcher.events(in: d.message) { record(e) }
        }
    }

    /// Applies one task event.
    private func record(_ e: [String: JSONValue]) {
        guard let type = e["type"]?.stringValue, let id = e["uuid"]?.stringValue else { return }
        let ts = e["timestamp"]?.doubleValue ?? Date().timeIntervalSince1970
        let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
            switch type {
            case "task-started": s.startedAt[id] = ts
            case "task-succeeded", "task-failed": s.doneAt[id] = ts
            default: return nil
            }
            guard s.doneAt.count >= expected, let w = s.waiter else { return nil }
            s.waiter = nil
            return w
        }
        w?.resume()
    }

    /// Ends a ``waitDone(timeout:)`` early (the worker it waits for is gone).
    func abort() {
        let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.aborted = true
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume()
    }

    /// Waits until every task finished or the timeout passes; returns whether all finished.
    func waitDone(timeout: Double) async -> Bool {
        let timer = Task {
            try? await Task.sleep(for: .seconds(double: timeout))
            let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
                let w = s.waiter
                s.waiter = nil
                return w
            }
            w?.resume()
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.doneAt.count >= expected || s.aborted { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
        timer.cancel()
        return state.withLock { $0.doneAt.count >= expected }
    }

    func report(start: Date, enqueueSeconds: Double, finished: Bool) -> [String: JSONValue] {
        state.withLock { s in
            let t0 = start.timeIntervalSince1970
            let last = s.doneAt.values.max() ?? t0
            let toStart = s.startedAt.compactMap { id, t in s.sentAt[id].map { (t - $0) * 1000 } }
            let toDone = s.doneAt.compactMap { id, t in s.sentAt[id].map { (t - $0) * 1000 } }
            func pct(_ v: [Double], _ p: Double) -> JSONValue {
                guard !v.isEmpty else { return .null }
                let sorted = v.sorted()
                let i = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
                return .double((sorted[i] * 1000).rounded() / 1000)
            }
            let e2e = max(last - t0, 1e-9)
            // The worker's own rate: first task started → last task finished (excludes the
            // producer when the queue was filled first, and worker start-up).
            let firstStart = s.startedAt.values.min() ?? last
            let drain = max(last - firstStart, 1e-9)
            return [
                "tasks": .int(Int64(expected)), "completed": .int(Int64(s.doneAt.count)), "all_finished": .bool(finished),
                "enqueue_per_s": .double((Double(expected) / max(enqueueSeconds, 1e-9)).rounded()),
                "end_to_end_per_s": .double((Double(s.doneAt.count) / e2e).rounded()),
                "end_to_end_s": .double((e2e * 1000).rounded() / 1000),
                "worker_drain_per_s": .double((Double(s.doneAt.count) / drain).rounded()),
                "send_to_start_p50_ms": pct(toStart, 50), "send_to_start_p90_ms": pct(toStart, 90),
                "send_to_start_p99_ms": pct(toStart, 99), "send_to_start_max_ms": pct(toStart, 100),
                "send_to_result_p50_ms": pct(toDone, 50), "send_to_result_p90_ms": pct(toDone, 90),
                "send_to_result_p99_ms": pct(toDone, 99), "send_to_result_max_ms": pct(toDone, 100),
            ]
        }
    }
}
