import Celery
import CeleryBench
import CeleryCommands
import Foundation

/// A request to send a task (from the enqueue form or `/api/task/async-apply`).
struct EnqueueRequest: Sendable {
    var name: String
    var args: [JSONValue] = []
    var kwargs: [String: JSONValue] = [:]
    var countdown: Double?
    var eta: Date?
    var expires: Date?
    /// Queue name; `nil` = the app's route for the task.
    var queue: String?
    /// Send in broadcast mode to this exchange (every worker subscribed to it runs it).
    var broadcast: String?
    var priority: Int?
    var taskId: String?

    /// Reads Flower's `options` object (`countdown`, `eta`, `expires`, `queue`, `priority`, `task_id`).
    mutating func apply(options o: [String: JSONValue]) throws {
        if let v = o["countdown"] {
            guard let c = v.doubleValue ?? v.stringValue.flatMap(Double.init), c >= 0, c < 1e8 else {
                throw DashboardError.badRequest("countdown must be a number of seconds ≥ 0")
            }
            countdown = c
        }
        if let v = o["eta"]?.stringValue {
            guard let d = CeleryDate.parse(v) ?? CeleryDate.parse(v.replacingOccurrences(of: " ", with: "T")) else {
                throw DashboardError.badRequest("eta '\(v)' is not an ISO-8601 date")
            }
            eta = d
        }
        if let v = o["expires"] {
            if let s = v.doubleValue { expires = Date().addingTimeInterval(s) } else if let t = v.stringValue, let d = CeleryDate.parse(t) { expires = d } else {
                throw DashboardError.badRequest("expires must be seconds or an ISO-8601 date")
            }
        }
        if let q = o["queue"]?.stringValue, !q.isEmpty { queue = q }
        if let q = o["routing_key"]?.stringValue, !q.isEmpty, queue == nil { queue = q }
        if let p = o["priority"]?.intValue { priority = Int(p) }
        if let id = o["task_id"]?.stringValue, !id.isEmpty { taskId = id }
    }
}

extension Dashboard {
    /// Refuses actions in read-only mode.
    func requireWritable() throws {
        if configuration.readOnly { throw DashboardError.forbidden("the dashboard is read-only (--read-only): actions are refused") }
    }

    /// Sends a task; returns its id and how many received it (broadcast).
    func enqueue(_ r: EnqueueRequest, by: String) async throws -> (id: String, receivers: Int?) {
        try requireWritable()
        guard !r.name.isEmpty, r.name.count <= 256 else { throw DashboardError.badRequest("a task name is required (at most 256 characters)") }
        var opts = CallOptions(taskId: r.taskId, eta: r.eta, expires: r.expires, priority: r.priority)
        if let c = r.countdown { opts.countdown = .milliseconds(Int64(c * 1000)) }
        if let b = r.broadcast { opts.route = .broadcast(b) } else if let q = r.queue { opts.route = .queue(q) }
        do {
            let result = try await app.send(task: r.name, args: r.args, kwargs: r.kwargs, options: opts)
            let route = app.route(for: r.name, call: opts.route)
            actions.record("enqueue", "\(r.name)\(PythonRepr.args(r.args)) to \(route)", outcome: "sent as \(result.id)", by: by)
            return (result.id, result.receipt?.receivers)
        } catch let e as CeleryError {
            actions.record("enqueue", r.name, outcome: "failed: \(e.message)", by: by)
            throw DashboardError.unavailable("could not send \(r.name): \(e.message)")
        }
    }

    /// Revokes a task on every worker (and, with `terminate`, cancels it if running).
    func revoke(_ id: String, terminate: Bool, by: String) async throws {
        try requireWritable()
        try validateId(id)
        try await app.revoke(id, terminate: terminate)
        actions.record(terminate ? "terminate" : "revoke", id, outcome: "sent to every worker", by: by)
    }

    /// Sends a failed (or any finished) task again with its stored arguments; returns the new id.
    func retry(_ id: String, by: String) async throws -> String {
        try requireWritable()
        try validateId(id)
        var record = cluster.task(id)
        if let stored = try await history.lookup(id) {
            if record == nil { record = stored } else { record!.fill(from: stored) }
        }
        guard let t = record, let name = t.name else { throw DashboardError.notFound("unknown task '\(id)' (or its name was not stored)") }
        guard let args = t.argsJSON?.arrayValue else {
            throw DashboardError(409, "the arguments of \(id) are not stored (enable extended results), so it cannot be retried")
        }
        let kwargs = t.kwargsJSON?.objectValue ?? [:]
        var r = EnqueueRequest(name: name, args: args, kwargs: kwargs)
        r.queue = t.queue
        let sent = try await enqueue(r, by: by)
        actions.record("retry", "\(name)[\(id)]", outcome: "sent again as \(sent.id)", by: by)
        return sent.id
    }

    /// Sends a remote-control command from the registry to one worker (or all) and returns the replies.
    func control(_ method: RemoteControlMethod, arguments: [String: JSONValue], worker: String?, by: String) async throws -> [String: JSONValue] {
        try requireWritable()
        let replies = try await app.controlClient.call(
            method.rawValue, arguments: arguments, destination: worker.map { [$0] }, timeout: configuration.inspectTimeout,
            limit: worker == nil ? nil : 1)
        directory.invalidate()
        let outcome = replies.isEmpty ? "no reply" : replies.keys.sorted().map { "\($0): \(replies[$0]!)" }.joined(separator: "; ")
        actions.record(method.rawValue, "\(arguments.isEmpty ? "" : JSONValue.object(arguments).description) on \(worker ?? "every worker")", outcome: outcome, by: by)
        return replies
    }

    /// Deletes a queue's waiting messages.
    func purge(_ queue: String, by: String) async throws -> Int {
        try requireWritable()
        let n = try await app.broker.purge(queue: queue)
        actions.record("purge", queue, outcome: "\(n) message(s) deleted", by: by)
        return n
    }

    /// Requeues or deletes dead letters.
    func settleDeadLetters(_ queue: String, index: Int?, requeue: Bool, by: String) async throws -> Int {
        try requireWritable()
        let n = requeue ? try await inspector.requeueDeadLetters(queue, index: index) : try await inspector.deleteDeadLetters(queue, index: index)
        actions.record(requeue ? "requeue dead letters" : "delete dead letters", "\(queue) \(index.map { "#\($0)" } ?? "all")", outcome: "\(n) message(s)", by: by)
        return n
    }

    /// Runs the `celery-demo` fanout and offline scenarios against the live broker; returns the table.
    func runDemo(by: String) async throws -> String {
        try requireWritable()
        var runner = DemoRunner(brokerURL: configuration.primaryBrokerURL, consumers: 3, messages: 50)
        runner.useChildProcess = false
        let report = try await runner.run(["fanout", "offline"])
        let table = ReportRendering.table(report)
        actions.record("demo", "fanout, offline", outcome: "ran \(report.scenarios.count) scenario row(s)", by: by)
        return table
    }

    func validateId(_ id: String) throws {
        guard !id.isEmpty, id.count <= 200, !id.contains(where: { $0.isWhitespace }) else {
            throw DashboardError.badRequest("'\(id.prefix(50))' is not a task id")
        }
    }
}
