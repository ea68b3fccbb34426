/// A typed reference to a task, returned by ``Celery/task(_:options:_:)``: call it with
/// ``delay(_:)`` or ``apply(_:options:)``.
public struct TaskHandle<each Argument: Encodable & Sendable, Output: Decodable & Sendable>: Sendable {
    /// The task name.
    public let name: String
    /// The app that sends it.
    public let app: Celery

    /// Creates a handle for a task registered elsewhere (a client without the task's code).
    public init(name: String, app: Celery) {
        self.name = name
        self.app = app
    }

    /// Sends the task with default options (Celery's `delay`).
    public func delay(_ arguments: repeat each Argument) async throws -> AsyncResult<Output> {
        try await apply(repeat each arguments, options: CallOptions())
    }

    /// Sends the task with options (Celery's `apply_async`).
    public func apply(_ arguments: repeat each Argument, options: CallOptions) async throws -> AsyncResult<Output> {
        var args: [JSONValue] = []
        repeat args.append(try JSONCoding.value(of: each arguments))
        let r = try await app.send(task: name, args: args, options: options)
        return AsyncResult(id: r.id, backend: r.backend, receipt: r.receipt)
    }
}
