/// The error type of the web-app example's tasks and codecs: a kind plus a readable message.
///
/// A task that throws it is stored as FAILURE with `exc_type` ``Kind/rawValue`` (Python
/// Celery clients see e.g. `ValueError`-like names), and the HTTP layer answers 400 for
/// ``Kind/badImage``, ``Kind/unsupportedImage``, ``Kind/tooLarge`` and ``Kind/badInput``.
public struct WebAppError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable, Hashable {
        /// The bytes are not a well-formed image of a known format (truncated, corrupt, bad CRC).
        case badImage = "BadImage"
        /// A well-formed image the codec does not handle (a format or variant it does not know).
        case unsupportedImage = "UnsupportedImage"
        /// The image or request exceeds a size limit.
        case tooLarge = "TooLarge"
        /// A request field is missing or invalid (an e-mail address, a name, a size).
        case badInput = "BadInput"
        /// A file could not be read or written.
        case io = "IOError"
    }

    /// The kind of error.
    public var kind: Kind
    /// A readable explanation with context.
    public var message: String

    /// An error of `kind` with a message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    /// Whether the client sent something wrong (an HTTP 400), rather than the server failing.
    public var isClientError: Bool { kind != .io }
}
