/// Polls `condition` every `interval` (default 20 ms) until it holds or `timeout` (default
/// 15 s) passes; returns whether it held (checked once more at the deadline).
public func eventually(
    _ timeout: Duration = .seconds(15), every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// A wait that ran out of time.
public struct WaitTimedOut: Error, CustomStringConvertible {
    /// What did not happen.
    public var description: String
    /// A timeout described by a sentence.
    public init(description: String) { self.description = description }
}

/// Probes `condition` every 20 ms until it holds; throws ``WaitTimedOut`` after `limit`.
public func waitUntil(within limit: Duration, _ what: String = "condition", _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        if ContinuousClock.now > deadline { throw WaitTimedOut(description: "\(what) did not hold within \(limit)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
