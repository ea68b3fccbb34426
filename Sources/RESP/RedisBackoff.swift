/// Pure reconnect schedule: waits double from ``initial`` up to ``maximum``; ``reset()``
/// after a success.
public struct RedisBackoff: Sendable, Hashable {
    /// First wait. Default 100 ms.
    public var initial: Duration
    /// Longest wait. Default 5 s.
    public var maximum: Duration
    /// Failures since the last success.
    public private(set) var attempts = 0

    /// Creates a schedule.
    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Records a failure and returns how long to wait before the next attempt.
    public mutating func nextDelay() -> Duration {
        var d = initial
        for _ in 0..<min(attempts, 30) where d < maximum { d = d * 2 }
        attempts += 1
        return min(d, maximum)
    }

    /// Records a success.
    public mutating func reset() { attempts = 0 }
}
