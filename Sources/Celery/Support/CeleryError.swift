/// The error type of the `Celery` module: a kind plus a readable message with context.
public struct CeleryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable, Hashable {
        /// A URL could not be parsed or names an unknown scheme.
        case badURL
        /// A server could not be reached or the connection dropped.
        case connection
        /// A message or stored document could not be decoded.
        case decoding
        /// A task name is not registered.
        case unknownTask
        /// Arguments do not match the task's parameters.
        case badArguments
        /// A wait ran out of time.
        case timeout
        /// A message is larger than the configured limit.
        case tooLarge
        /// The operation is not possible in this state (closed broker, cancelled consumer…).
        case invalidState
        /// The broker did not confirm a publish: the message may or may not be stored.
        case unconfirmed
        /// A server answered with an error.
        case server
    }

    /// The kind of error.
    public var kind: Kind
    /// A readable explanation with context. Any URL quoted in it has its password masked.
    public var message: String

    /// An error of `kind`; every URL password in `message` (a failover list included) is
    /// replaced by `***`, so an error can be logged as it is.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message.contains("://") ? ConnectionURL.mask(message) : message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
