/// An answer other than success: an HTTP status and a message, sent as
/// `{"error": message, "status": status}`.
struct WebAppHTTPError: Error, CustomStringConvertible {
    var status: Int
    var message: String
    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
    var description: String { "\(status): \(message)" }
}
