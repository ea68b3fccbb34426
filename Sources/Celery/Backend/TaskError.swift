/// A task's failure as stored in a result backend (Celery's exception info), thrown by
/// ``AsyncResult/get(timeout:)`` for FAILURE and REVOKED.
public struct TaskError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Exception type name (`ValueError`, `TaskRevokedError`, a Swift type name…).
    public var type: String
    /// The message (Celery's `exc_message`, joined when it holds several values).
    public var message: String
    /// Module of the exception type (`builtins`, `celery.exceptions`, `swift`…).
    public var module: String?
    /// Traceback-like text, if stored.
    public var traceback: String?
    /// The state that carried it (FAILURE, REVOKED or RETRY).
    public var state: TaskState

    public init(type: String, message: String, module: String? = nil, traceback: String? = nil, state: TaskState = .failure) {
        self.type = type
        self.message = message
        self.module = module
        self.traceback = traceback
        self.state = state
    }

    /// Reads Celery's `{"exc_type", "exc_message", "exc_module"}`; tolerates odd shapes.
    public init(exceptionInfo: JSONValue, traceback: String?, state: TaskState) {
        self.traceback = traceback
        self.state = state
        if case .object(let o) = exceptionInfo {
            type = o["exc_type"]?.stringValue ?? "Exception"
            module = o["exc_module"]?.stringValue
            switch o["exc_message"] {
            case .array(let parts)?:
                message = parts.map { $0.stringValue ?? $0.description }.joined(separator: ", ")
            case .string(let s)?: message = s
            case let other?: message = other.description
            case nil: message = ""
            }
        } else {
            type = state == .revoked ? "TaskRevokedError" : "Exception"
            module = nil
            message = exceptionInfo.stringValue ?? exceptionInfo.description
        }
    }

    /// Celery's exception info for this error.
    public var exceptionInfo: JSONValue {
        [
            "exc_type": .string(type), "exc_message": [.string(message)],
            "exc_module": module.map(JSONValue.string) ?? .null,
        ]
    }

    public var description: String { "\(type): \(message)" }
}
