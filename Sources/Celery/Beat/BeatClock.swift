#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Time as beat sees it: a wall clock (which may jump), a monotonic clock (for leases),
/// and sleeping. Tests and the memory soak use ``ManualBeatClock`` or ``ScaledBeatClock``.
public protocol BeatClock: Sendable {
    /// The wall-clock time (ticks are computed from it on every wake).
    func now() -> Date
    /// Monotonic time since an arbitrary origin (lease validity is measured on it, so a
    /// wall-clock jump cannot extend a lease).
    func uptime() -> Duration
    /// Sleeps for a duration; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The real clocks: `Date()`, `ContinuousClock`, `Task.sleep`.
public struct SystemBeatClock: BeatClock {
    private let origin = ContinuousClock.now

    /// Creates the system clock.
    public init() {}

    public func now() -> Date { Date() }
    public func uptime() -> Duration { ContinuousClock.now - origin }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A real clock running `factor` times faster, from a chosen start time: for end-to-end
/// tests and demos (factor 60: a minute passes every real second).
public struct ScaledBeatClock: BeatClock {
    /// Speed-up factor.
    public let factor: Double
    private let start: Date
    private let origin = ContinuousClock.now

    /// Creates a clock that reads `start` now and runs `factor` times faster.
    public init(factor: Double, start: Date = Date()) {
        self.factor = factor
        self.start = start
    }

    public func now() -> Date { start.addingTimeInterval(uptime().seconds) }
    public func uptime() -> Duration { (ContinuousClock.now - origin) * factor }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration / factor) }
}
