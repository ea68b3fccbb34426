/// Runtimes of one task name: a Prometheus histogram (cumulative buckets, sum, count) and
/// the latest ``sampleLimit`` samples for p50/p99. Memory is fixed per name.
struct RuntimeStats: Sendable {
    /// Histogram upper bounds in seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
    /// Samples kept for percentiles.
    static let sampleLimit = 1024

    var bucketCounts = [Int](repeating: 0, count: RuntimeStats.buckets.count)
    var count = 0
    var sum = 0.0
    var samples: [Double] = []
    var next = 0

    mutating func add(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        count += 1
        sum += seconds
        for (i, b) in Self.buckets.enumerated() where seconds <= b { bucketCounts[i] += 1 }
        if samples.count < Self.sampleLimit {
            samples.append(seconds)
        } else {
            samples[next] = seconds
            next = (next + 1) % Self.sampleLimit
        }
    }

    /// The `q` quantile (0…1) of the kept samples; `nil` without samples.
    func quantile(_ q: Double) -> Double? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let i = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[i]
    }
}

/// Succeeded and failed counts per second over the last hour (a ring of 3600 slots).
struct ThroughputSeries: Sendable {
    static let seconds = 3600
    var succeeded = [Int](repeating: 0, count: ThroughputSeries.seconds)
    var failed = [Int](repeating: 0, count: ThroughputSeries.seconds)
    var stamp = [Int](repeating: -1, count: ThroughputSeries.seconds)

    mutating func add(at time: Double, failed isFailure: Bool) {
        let sec = Int(time)
        let i = ((sec % Self.seconds) + Self.seconds) % Self.seconds
        if stamp[i] != sec {
            stamp[i] = sec
            succeeded[i] = 0
            failed[i] = 0
        }
        if isFailure { failed[i] += 1 } else { succeeded[i] += 1 }
    }

    /// (second, succeeded, failed) for each of the last hour's seconds up to `now`, oldest first.
    func window(now: Double) -> [(Int, Int, Int)] {
        let end = Int(now)
        return (end - Self.seconds + 1...end).map { sec in
            let i = ((sec % Self.seconds) + Self.seconds) % Self.seconds
            return stamp[i] == sec ? (sec, succeeded[i], failed[i]) : (sec, 0, 0)
        }
    }
}
