/// A pub/sub push from Redis on a subscribed connection: a published message or a
/// (un)subscribe confirmation.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// Which push it is.
    public enum Kind: String, Sendable, Hashable {
        /// A message on a channel subscribed with `SUBSCRIBE`.
        case message
        /// A message on a channel matching a pattern subscribed with `PSUBSCRIBE`.
        case pmessage
        /// Confirmation of `SUBSCRIBE` for one channel.
        case subscribe
        /// Confirmation of `PSUBSCRIBE` for one pattern.
        case psubscribe
        /// Confirmation of `UNSUBSCRIBE` for one channel.
        case unsubscribe
        /// Confirmation of `PUNSUBSCRIBE` for one pattern.
        case punsubscribe
    }

    /// Which push it is.
    public var kind: Kind
    /// The channel (for confirmations: the channel or pattern confirmed).
    public var channel: String
    /// For `pmessage`: the pattern that matched.
    public var pattern: String?
    /// For messages: the published bytes; empty for confirmations.
    public var payload: [UInt8]
    /// For confirmations: how many subscriptions the connection now has.
    public var subscriptionCount: Int?

    /// Creates a push message.
    public init(kind: Kind, channel: String, pattern: String? = nil, payload: [UInt8] = [], subscriptionCount: Int? = nil) {
        self.kind = kind
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
        self.subscriptionCount = subscriptionCount
    }

    /// Reads a RESP2 push array (`["message", channel, payload]`, `["pmessage", pattern,
    /// channel, payload]`, `["subscribe", channel, count]`…); `nil` if `value` is not one.
    public init?(_ value: RESPValue) {
        guard let a = value.array, a.count >= 3, let first = a[0].string,
            let kind = Kind(rawValue: first.lowercased())
        else { return nil }
        switch kind {
        case .message:
            guard a.count == 3, let ch = a[1].string, let p = a[2].bytes else { return nil }
            self.init(kind: kind, channel: ch, payload: p)
        case .pmessage:
            guard a.count == 4, let pat = a[1].string, let ch = a[2].string, let p = a[3].bytes else { return nil }
            self.init(kind: kind, channel: ch, pattern: pat, payload: p)
        case .subscribe, .psubscribe, .unsubscribe, .punsubscribe:
            guard a.count == 3, let n = a[2].int else { return nil }
            self.init(kind: kind, channel: a[1].string ?? "", subscriptionCount: Int(n))
        }
    }

    /// Whether this is a published message (not a confirmation).
    public var isMessage: Bool { kind == .message || kind == .pmessage }
}
