/// A task's state, as Celery names them. Custom states (such as `PROGRESS`) are allowed.
public struct TaskState: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Unknown to the backend (never stored).
    public static let pending = TaskState("PENDING")
    /// Received by a worker (events only).
    public static let received = TaskState("RECEIVED")
    /// Started by a worker.
    public static let started = TaskState("STARTED")
    /// Finished and returned a value.
    public static let success = TaskState("SUCCESS")
    /// Finished by throwing an error.
    public static let failure = TaskState("FAILURE")
    /// Will be run again later.
    public static let retry = TaskState("RETRY")
    /// Revoked (or expired) before it ran.
    public static let revoked = TaskState("REVOKED")
    /// Custom state used by progress reports.
    public static let progress = TaskState("PROGRESS")

    /// SUCCESS, FAILURE or REVOKED: the task will not change state again.
    public var isReady: Bool { self == .success || self == .failure || self == .revoked }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
