import ArgumentParser
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `celery-admin`: add, inspect, revoke and purge tasks.
public struct AdminCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "celery-admin",
        abstract: "Add, inspect, revoke and purge tasks; inspect and control workers; watch events.",
        subcommands: [
            CallCommand.self, ResultCommand.self, TasksCommand.self, InspectCommand.self, ControlCommand.self,
            PurgeCommand.self, StatusCommand.self, EventsCommand.self,
        ])
    public init() {}
}

/// `celery-admin call NAME …`: send a task.
public struct CallCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "call", abstract: "Send a task; prints its id (and the result with --wait).")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Task name, e.g. tasks.add.") var name: String
    @Option(help: "Positional arguments as a JSON array, e.g. '[2, 4]'.") var args: String = "[]"
    @Option(help: "Keyword arguments as a JSON object, e.g. '{\"y\": 4}'.") var kwargs: String = "{}"
    @Option(help: "Queue (queue mode).") var queue: String?
    @Option(help: "Broadcast channel (pub/sub mode).") var broadcast: String?
    @Option(help: "Run no earlier than this many seconds from now.") var countdown: Double?
    @Option(help: "Run no earlier than this ISO-8601 time.") var eta: String?
    @Option(help: "Revoke if not started within this many seconds.") var expires: Double?
    @Option(help: "Message priority.") var priority: Int?
    @Flag(help: "Wait for the result and print it.") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Double = 30
    public init() {}

    public func validate() throws {
        guard case .array = try AdminJSON.parse(args, flag: "--args") else { throw ValidationError("--args must be a JSON array") }
        guard case .object = try AdminJSON.parse(kwargs, flag: "--kwargs") else { throw ValidationError("--kwargs must be a JSON object") }
        if queue != nil && broadcast != nil { throw ValidationError("give --queue or --broadcast, not both") }
        if let eta, CeleryDate.parse(eta) == nil { throw ValidationError("--eta: '\(eta)' is not an ISO-8601 time") }
        if let c = countdown, c < 0 { throw ValidationError("--countdown must not be negative") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    public func run() async throws {
        try await adminRun {
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            var o = CallOptions()
            if let queue { o.route = .queue(queue) }
            if let broadcast { o.route = .broadcast(broadcast) }
            o.countdown = countdown.map { .seconds(double: $0) }
            o.eta = eta.flatMap(CeleryDate.parse)
            o.expires = expires.map { Date().addingTimeInterval($0) }
            o.priority = priority
            let r = try await app.send(
                task: name, args: try AdminJSON.parse(args, flag: "--args").arrayValue ?? [],
                kwargs: try AdminJSON.parse(kwargs, flag: "--kwargs").objectValue ?? [:], options: o)
            var out: [String: JSONValue] = ["id": .string(r.id)]
            if let n = r.receipt?.receivers { out["receivers"] = .int(Int64(n)) }
            if !wait {
                admin.emit(json: .object(out), text: r.id + (r.receipt?.receivers.map { " (received by \($0))" } ?? "") + "\n")
                return
            }
            guard app.backend != nil else { throw AdminFailure("--wait needs a result backend (--result-backend or CELERY_RESULT_BACKEND)", code: 64) }
            let meta = try await r.wait(timeout: .seconds(double: timeout))
            out["state"] = .string(meta.status.rawValue)
            out["result"] = meta.result
            admin.emit(json: .object(out), text: "\(r.id)\n\(ResultCommand.describe(meta))")
            if meta.status != .success { throw ExitCode(2) }
        }
    }
}

/// `celery-admin result ID`: state, result, error, progress, runtime.
public struct ResultCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "result", abstract: "Show a task's state, result, error, progress and runtime.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Task id.") var id: String
    @Flag(help: "Wait until the task is ready.") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Double = 30
    public init() {}

    static func describe(_ m: TaskMeta?) -> String {
        guard let m else { return "state:    PENDING (unknown to the backend)\n" }
        var rows: [[String]] = [["state:", m.status.rawValue]]
        if m.status == .success { rows.append(["result:", m.result.description]) }
        if let e = m.error { rows.append(["error:", "\(e.type): \(e.message)"]) }
        if let p = m.progress { rows.append(["progress:", p.description]) }
        if let n = m.name { rows.append(["task:", n]) }
        if let w = m.worker { rows.append(["worker:", w]) }
        if let r = m.retries { rows.append(["retries:", String(r)]) }
        if let s = m.dateStarted { rows.append(["started:", CeleryDate.format(s)]) }
        if let d = m.dateDone { rows.append(["done:", CeleryDate.format(d)]) }
        if let r = m.runtime { rows.append(["runtime:", Format.fixed(r, places: 6) + " s"]) }
        return rows.map { $0[0].padding(10) + $0[1] }.joined(separator: "\n") + "\n"
    }

    static func json(_ m: TaskMeta?, id: String) -> JSONValue {
        guard let m else { return ["id": .string(id), "state": "PENDING"] }
        var o = m.celeryJSON()
        o["id"] = .string(id)
        o["state"] = .string(m.status.rawValue)
        return .object(o)
    }

    public func run() async throws {
        try await adminRun {
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            guard let backend = app.backend else { throw AdminFailure("no result backend: give --result-backend or CELERY_RESULT_BACKEND", code: 64) }
            let meta = wait ? try await backend.waitForReady(id, timeout: .seconds(double: timeout)) : try await backend.meta(for: id)
            admin.emit(json: Self.json(meta, id: id), text: Self.describe(meta))
        }
    }
}

/// `celery-admin tasks`: list stored results.
public struct TasksCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "tasks", abstract: "List stored results (a backend that can be searched: MongoDB, memory).")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this state (SUCCESS, FAILURE, STARTED, PROGRESS…).") var state: String?
    @Option(help: "Only this task name.") var name: String?
    @Option(help: "Only since this time: ISO-8601, or a duration back from now (30s, 10m, 2h, 1d).") var since: String?
    @Option(help: "At most this many, newest first.") var limit: Int = 20
    @Flag(help: "Show counts per state instead.") var counts = false
    @Flag(help: "Show the slowest finished tasks instead.") var slowest = false
    public init() {}

    public func validate() throws {
        if let since, TimeSpec.parse(since) == nil { throw ValidationError("--since: '\(since)' is neither ISO-8601 nor a duration like 10m") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    public func run() async throws {
        try await adminRun {
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            guard let q = app.backend as? any ResultQuerying else {
                throw AdminFailure("the result backend \(app.backend?.displayURL ?? "(none)") cannot be searched; use mongodb:// or memory://", code: 64)
            }
            if counts {
                let c = try await q.countsByState()
                admin.emit(
                    json: .object(Dictionary(uniqueKeysWithValues: c.map { ($0.key.rawValue, JSONValue.int(Int64($0.value))) })),
                    text: TextTable.render(["state", "count"], c.sorted { $0.key.rawValue < $1.key.rawValue }.map { [$0.key.rawValue, String($0.value)] }))
                return
            }
            let metas = slowest
                ? try await q.slowest(limit: limit)
                : try await q.tasks(matching: ResultQuery(state: state.map { TaskState($0.uppercased()) }, name: name, since: since.flatMap { TimeSpec.parse($0) }, limit: limit))
            let rows = metas.map { m in
                [m.taskId, m.name ?? "", m.status.rawValue, m.runtime.map { Format.fixed($0, places: 4) } ?? "",
                 m.dateDone.map(CeleryDate.format) ?? "", m.status == .success ? String(m.result.description.prefix(40)) : (m.error.map { "\($0.type): \($0.message)".prefix(40).description } ?? "")]
            }
            admin.emit(
                json: .array(metas.map { ResultCommand.json($0, id: $0.taskId) }),
                text: TextTable.render(["id", "name", "state", "runtime s", "done", "result / error"], rows))
        }
    }
}
