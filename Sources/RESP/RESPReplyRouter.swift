import DequeModule

/// Pure state machine matching replies to in-flight commands, in order (pipelining), and
/// separating pub/sub pushes from replies. ``RESPCommandHandler`` performs its actions.
public struct RESPReplyRouter: Sendable {
    /// What an in-flight command waits for.
    public enum Expectation: Sendable, Hashable {
        /// One ordinary reply.
        case reply
        /// This many (un)subscribe confirmations (one per channel or pattern named).
        case confirmations(Int)
    }

    /// What to do with one received value.
    public enum Action: Sendable, Hashable {
        /// Complete the oldest in-flight command with this value (possibly an `.error`).
        case complete(RESPValue)
        /// Hand a pub/sub message or stray confirmation to the subscriber stream.
        case push(RedisPubSubMessage)
        /// Hand the confirmation to the stream and complete the oldest command with it.
        case pushAndComplete(RedisPubSubMessage, RESPValue)
        /// A reply nobody asked for: the stream is out of sync; close the connection.
        case unexpected(RESPValue)
    }

    private var expectations: Deque<Expectation> = []
    /// Whether the connection is in RESP2 subscribed mode (pushes may arrive any time).
    public private(set) var isSubscribed = false

    /// Creates an empty router.
    public init() {}

    /// Number of commands waiting for replies.
    public var inFlight: Int { expectations.count }

    /// Records a command written to the connection.
    public mutating func sent(_ expectation: Expectation) {
        if case .confirmations = expectation { isSubscribed = true }
        expectations.append(expectation)
    }

    /// Decides what to do with one value read from the connection.
    public mutating func received(_ value: RESPValue) -> Action {
        let head = expectations.first
        var confirming = false
        if case .confirmations = head { confirming = true }
        if isSubscribed || confirming, let push = RedisPubSubMessage(value) {
            if push.isMessage { return .push(push) }
            if let n = push.subscriptionCount { isSubscribed = n > 0 || confirming }
            guard case .confirmations(let remaining)? = head else { return .push(push) }
            if remaining <= 1 {
                expectations.removeFirst()
                if let n = push.subscriptionCount { isSubscribed = n > 0 }
                return .pushAndComplete(push, value)
            }
            expectations[expectations.startIndex] = .confirmations(remaining - 1)
            return .push(push)
        }
        guard head != nil else { return .unexpected(value) }
        expectations.removeFirst()
        return .complete(value)
    }
}
