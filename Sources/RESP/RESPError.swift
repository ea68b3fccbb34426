/// The error type of the `RESP` module: a kind plus a readable message with context
/// (server message, host and port with the password masked, the limit that was hit).
public struct RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable, Hashable {
        /// The server answered `-ERR …` (or another error prefix); ``message`` is its text.
        case server
        /// The bytes received are not valid RESP2 (bad type byte, bad length, bad integer…).
        case protocolViolation
        /// A reply exceeds a configured decoder limit (bulk length, array length, nesting, line).
        case limitExceeded
        /// The server could not be reached, refused the connection, or the connection dropped.
        case connection
        /// Connecting or waiting for a reply took longer than the configured timeout.
        case timeout
        /// The URL or configuration is invalid.
        case badURL
        /// The TLS handshake or configuration failed.
        case tls
        /// The connection, pool or subscriber was closed by this process.
        case closed
    }

    /// The kind of error.
    public var kind: Kind
    /// A readable explanation (for ``Kind/server``: exactly what the server said).
    public var message: String

    /// Creates an error of `kind` with a readable `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// For a server error, its first word (`ERR`, `WRONGTYPE`, `NOAUTH`, `NOSCRIPT`…).
    public var serverCode: String? {
        guard kind == .server else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// `kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }
}
