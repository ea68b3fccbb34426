/// Counters of a ``BeatScheduler`` (fixed size: they do not grow with ticks).
public struct BeatStats: Sendable, Hashable {
    /// Ticks sent.
    public var sent = 0
    /// Missed ticks skipped by a catch-up policy.
    public var skipped = 0
    /// Publishes that failed (retried on a later wake).
    public var failed = 0
    /// State saves that failed.
    public var stateErrors = 0
    /// Wakes so far.
    public var wakes = 0
    /// Times this process became lease holder.
    public var acquisitions = 0
    /// Times this process lost or gave up the lease involuntarily.
    public var losses = 0

    /// Creates zeroed counters.
    public init() {}
}
