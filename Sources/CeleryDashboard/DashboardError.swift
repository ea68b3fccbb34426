/// The one error type of CeleryDashboard: an HTTP status and a message safe to show the caller.
public struct DashboardError: Error, CustomStringConvertible, Sendable {
    /// HTTP status code to answer with (400 bad request, 401, 403, 404, 503…).
    public var status: Int
    /// What went wrong, for the caller (never contains a password).
    public var message: String

    /// Creates an error with a status code and a message.
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }

    static func badRequest(_ m: String) -> DashboardError { DashboardError(400, m) }
    static func notFound(_ m: String) -> DashboardError { DashboardError(404, m) }
    static func forbidden(_ m: String) -> DashboardError { DashboardError(403, m) }
    static func unavailable(_ m: String) -> DashboardError { DashboardError(503, m) }
}
