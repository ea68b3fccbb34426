#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Exponential backoff: attempt 0 waits `initial`, each later attempt `multiplier` times the
/// one before, never more than `maximum`; with `jitter`, each wait is drawn from 50–100 % of
/// that value, so many clients that failed together do not retry together.
///
/// The one backoff of the core: ``RetryPolicy/delay(afterRetries:)``, the worker's consumer
/// restarts and result-store retries all use it. (`RESP` and `AMQP091` do not import `Celery`
/// and keep their own reconnect backoff.)
public struct Backoff: Sendable, Hashable {
    /// The first wait. Default 0.1 s.
    public var initial: Duration
    /// Factor from one wait to the next. Default 2.
    public var multiplier: Double
    /// The longest wait. Default 10 s.
    public var maximum: Duration
    /// Whether waits are drawn from 50–100 % of the computed value. Default false.
    public var jitter: Bool

    public init(initial: Duration = .milliseconds(100), multiplier: Double = 2, maximum: Duration = .seconds(10), jitter: Bool = false) {
        self.initial = initial
        self.multiplier = max(1, multiplier)
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The wait before attempt `attempt + 1` (0-based: `delay(attempt: 0)` is ``initial``).
    public func delay(attempt: Int) -> Duration {
        let exponent = Double(max(0, attempt))
        var d = min(initial.seconds * pow(multiplier, exponent), maximum.seconds)
        if !d.isFinite { d = maximum.seconds }
        if jitter { d *= Double.random(in: 0.5...1.0) }
        return .milliseconds(Int64((d * 1000).rounded()))
    }

    /// Sleeps for ``delay(attempt:)``; returns `false` (at once) when the task is cancelled.
    @discardableResult
    public func sleep(attempt: Int) async -> Bool {
        do {
            try await Task.sleep(for: delay(attempt: attempt))
            return true
        } catch {
            return false
        }
    }
}
