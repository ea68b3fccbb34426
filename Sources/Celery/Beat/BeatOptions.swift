/// Settings of a ``BeatScheduler``.
public struct BeatOptions: Sendable {
    /// Longest sleep between wakes, even when nothing is due (bounds the effect of a wall
    /// clock jump). Default 60 s.
    public var maxInterval: Duration
    /// Default missed-tick policy for entries that set none. Default ``CatchUpPolicy/once``.
    public var catchUp: CatchUpPolicy
    /// Most missed ticks one entry sends under ``CatchUpPolicy/all``. Default 100.
    public var catchUpLimit: Int
    /// A tick older than this when beat looks at it counts as missed. Default 10 s.
    public var lateness: Duration
    /// Lease time-to-live: a holder renews every `leaseTTL / 3` and stops sending
    /// `leaseTTL / 10` before its lease can have expired. Default 30 s.
    public var leaseTTL: Duration
    /// How long to wait before retrying after a failed publish. Default 5 s (capped by
    /// ``maxInterval``).
    public var retryDelay: Duration

    /// Creates options.
    public init(
        maxInterval: Duration = .seconds(60), catchUp: CatchUpPolicy = .once, catchUpLimit: Int = 100,
        lateness: Duration = .seconds(10), leaseTTL: Duration = .seconds(30), retryDelay: Duration = .seconds(5)
    ) {
        self.maxInterval = maxInterval
        self.catchUp = catchUp
        self.catchUpLimit = max(1, catchUpLimit)
        self.lateness = lateness
        self.leaseTTL = leaseTTL
        self.retryDelay = retryDelay
    }
}
