/// The one error type of the `AMQP091` module: a kind, a readable message and, when the
/// server closed something, its reply code and text (`404 NOT_FOUND - no queue 'x'`).
public struct AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable, Hashable {
        /// A frame could not be parsed (bad type, bad end octet, truncated field, bad field type).
        case malformedFrame
        /// A frame is larger than the negotiated or configured maximum frame size.
        case frameTooLarge
        /// The peer broke the protocol (unexpected method, wrong channel, bad content sequence).
        case protocolViolation
        /// A URL could not be parsed.
        case badURL
        /// The TCP/TLS connection could not be established (refused, unreachable, DNS).
        case connectFailed
        /// An operation did not finish in time (connect, handshake).
        case timeout
        /// The server refused the credentials (`403 ACCESS_REFUSED`) or the virtual host.
        case accessRefused
        /// The server closed the connection (`connection.close`) with a reply code.
        case connectionClosedByServer
        /// The server closed a channel (`channel.close`) with a reply code.
        case channelClosedByServer
        /// The connection dropped or was closed locally while an operation was pending.
        case connectionClosed
        /// No frame arrived within two heartbeat intervals.
        case heartbeatMissed
        /// The server negatively acknowledged a publish (`basic.nack`).
        case nacked
        /// The server cancelled a consumer (`basic.cancel` from the server: queue deleted…).
        case consumerCancelled
        /// The operation is not possible in the current state (closed channel, no confirms…).
        case invalidState
    }

    /// The kind of error.
    public var kind: Kind
    /// A readable explanation with context (host:port with the password masked, queue name…).
    public var message: String
    /// The AMQP reply code when the server closed a connection or channel (e.g. 404, 406, 403, 320).
    public var replyCode: UInt16?
    /// The server's reply text (e.g. `NOT_FOUND - no queue 'missing' in vhost '/'`).
    public var replyText: String?
    /// The class id of the method that caused a server close, if the server said.
    public var classId: UInt16?
    /// The method id of the method that caused a server close, if the server said.
    public var methodId: UInt16?

    /// Creates an error.
    public init(
        _ kind: Kind, _ message: String, replyCode: UInt16? = nil, replyText: String? = nil,
        classId: UInt16? = nil, methodId: UInt16? = nil
    ) {
        self.kind = kind
        self.message = message
        self.replyCode = replyCode
        self.replyText = replyText
        self.classId = classId
        self.methodId = methodId
    }

    /// An error for a server's `connection.close` or `channel.close`.
    static func closed(by close: AMQPMethod.Close, connection: Bool, context: String) -> AMQPError {
        let kind: Kind = close.replyCode == 403 ? .accessRefused : (connection ? .connectionClosedByServer : .channelClosedByServer)
        let what = connection ? "connection" : "channel"
        return AMQPError(
            kind, "server closed the \(what) (\(context)): \(close.replyCode) \(close.replyText)",
            replyCode: close.replyCode, replyText: close.replyText, classId: close.classId, methodId: close.methodId)
    }

    public var description: String { "AMQP \(kind.rawValue): \(message)" }
}
