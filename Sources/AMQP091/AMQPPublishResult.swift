/// The outcome of a publish that did not throw.
public struct AMQPPublishResult: Sendable, Hashable {
    /// Whether the server confirmed it (`basic.ack`); `false` when the channel is not in
    /// confirm mode (the frames were written, nothing more is known).
    public var confirmed: Bool
    /// A mandatory message the server could not route comes back here (`basic.return`,
    /// e.g. `312 NO_ROUTE`) before its confirm. Attribution assumes the server confirms
    /// unroutable messages in order, which RabbitMQ does.
    public var returned: AMQPMessage?

    /// Creates a result.
    public init(confirmed: Bool, returned: AMQPMessage? = nil) {
        self.confirmed = confirmed
        self.returned = returned
    }
}

/// Something that happened to a connection, reported on ``AMQPConnection/events``.
public enum AMQPConnectionEvent: Sendable, Hashable {
    /// The server stopped accepting publishes (`connection.blocked`, e.g. a memory or disk alarm).
    case blocked(reason: String)
    /// The server accepts publishes again.
    case unblocked
    /// The connection closed: `nil` = closed by us, otherwise why it failed.
    case closed(AMQPError?)
}
