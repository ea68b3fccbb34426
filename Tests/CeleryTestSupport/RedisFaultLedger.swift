import Celery
import Synchronization

/// What a fault test's takers processed: deliveries per task id and when each came.
public final class RedisFaultLedger: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var times: [ContinuousClock.Instant] = []
        var ackFailures = 0
    }
    private let state = Mutex(State())

    /// An empty ledger.
    public init() {}

    /// Counts a delivery of task `id` now.
    public func record(_ id: String) {
        state.withLock {
            $0.counts[id, default: 0] += 1
            $0.times.append(.now)
        }
    }

    /// Counts an acknowledgement that failed.
    public func ackFailed() { state.withLock { $0.ackFailures += 1 } }

    /// Task ids delivered at least once.
    public var distinct: Int { state.withLock { $0.counts.count } }
    /// Deliveries beyond the first of each id.
    public var duplicates: Int { state.withLock { $0.counts.values.reduce(0) { $0 + $1 - 1 } } }
    /// Acknowledgements that failed.
    public var ackFailures: Int { state.withLock { $0.ackFailures } }
    /// How often `id` was recorded.
    public func count(of id: String) -> Int { state.withLock { $0.counts[id] ?? 0 } }
    /// Every id recorded.
    public var ids: Set<String> { state.withLock { Set($0.counts.keys) } }

    /// The first delivery at or after `instant`.
    public func firstDelivery(after instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        state.withLock { $0.times.first { $0 >= instant } }
    }

    /// Runs `takers` concurrent take → work → ack loops until the consumer ends.
    public static func drain(_ consumer: any MessageConsumer, into ledger: RedisFaultLedger, takers: Int = 8, work: Duration = .milliseconds(5)) -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { g in
                for _ in 0..<takers {
                    g.addTask {
                        while let d = try? await consumer.next() {
                            ledger.record(d.message.headers["id"]?.stringValue ?? "?")
                            try? await Task.sleep(for: work)
                            do { try await d.ack() } catch { ledger.ackFailed() }
                        }
                    }
                }
            }
        }
    }
}
