#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Backends that delete old results on request (Celery's `backend.cleanup()`), run by the
/// `celery.backend_cleanup` task (beat's daily 04:00 job for backends without expiry).
public protocol ResultCleaning: ResultBackend {
    /// Deletes results finished longer than `age` ago; returns how many.
    @discardableResult
    func cleanup(olderThan age: Duration) async throws -> Int
}

/// Celery's built-in tasks, which Python clients send and a worker must run:
/// `celery.chord_unlock`, `celery.map`, `celery.starmap`, `celery.chunks`, `celery.accumulate`
/// and `celery.backend_cleanup`.
public enum CanvasBuiltins {
    /// Names of the built-in tasks.
    public static let names = [
        "celery.accumulate", "celery.backend_cleanup", "celery.chord_unlock", "celery.chunks", "celery.map", "celery.starmap",
    ]

    /// Registers the built-ins on `app` (a worker does this at start).
    public static func register(on app: Celery) {
        guard app.registeredTask("celery.chord_unlock") == nil else { return }
        app.register(RegisteredTask(name: "celery.chord_unlock", options: TaskOptions(ignoreResult: true), run: chordUnlock))
        app.register(RegisteredTask(name: "celery.map") { ctx, args, kwargs in try await mapTask(ctx, args, kwargs, star: false) })
        app.register(RegisteredTask(name: "celery.starmap") { ctx, args, kwargs in try await mapTask(ctx, args, kwargs, star: true) })
        app.register(RegisteredTask(name: "celery.chunks", run: chunksTask))
        app.register(
            RegisteredTask(name: "celery.accumulate") { _, args, kwargs in
                if let i = kwargs["index"]?.intValue {
                    guard i >= 0, Int(i) < args.count else {
                        throw TaskFailure(type: "IndexError", message: "tuple index out of range")
                    }
                    return args[Int(i)]
                }
                return .array(args)
            })
        app.register(
            RegisteredTask(name: "celery.backend_cleanup") { ctx, _, _ in
                if let b = ctx.app.backend as? any ResultCleaning { try await b.cleanup(olderThan: .seconds(86_400)) }
                return .null
            })
    }

    static func argument(_ name: String, at i: Int, _ args: [JSONValue], _ kwargs: [String: JSONValue]) throws -> JSONValue {
        if let v = kwargs[name] { return v }
        if i < args.count { return args[i] }
        throw CeleryError(.badArguments, "missing required argument '\(name)'")
    }

    /// `celery.map(task, it)` / `celery.starmap(task, it)`: the task's body runs here, once per
    /// item (starmap spreads each item as positional arguments), and the list of values returns.
    static func mapTask(_ ctx: TaskContext, _ args: [JSONValue], _ kwargs: [String: JSONValue], star: Bool) async throws -> JSONValue {
        let sig = try Signature(json: try argument("task", at: 0, args, kwargs))
        guard case .array(let items) = try argument("it", at: 1, args, kwargs) else {
            throw CeleryError(.badArguments, "'it' must be a list")
        }
        guard let task = ctx.app.registeredTask(sig.task) else {
            throw TaskFailure(type: "NotRegistered", module: "celery.exceptions", message: "'\(sig.task)'")
        }
        var out: [JSONValue] = []
        out.reserveCapacity(items.count)
        for item in items {
            let itemArgs: [JSONValue] = star ? (item.arrayValue ?? [item]) : [item]
            out.append(try await task.run(ctx, itemArgs, [:]))
        }
        return .array(out)
    }

    /// `celery.chunks(task, it, n)`: sends the group of `celery.starmap` parts.
    static func chunksTask(_ ctx: TaskContext, _ args: [JSONValue], _ kwargs: [String: JSONValue]) async throws -> JSONValue {
        let sig = Signature(
            task: "celery.chunks",
            kwargs: ["task": try argument("task", at: 0, args, kwargs), "it": try argument("it", at: 1, args, kwargs), "n": try argument("n", at: 2, args, kwargs)],
            subtaskType: "chunks", immutable: true)
        var p = CanvasPublisher(app: ctx.app, parent: (ctx.id, ctx.rootId ?? ctx.id))
        return try await p.apply(sig).json
    }

    /// `celery.chord_unlock(group_id, body, interval=None, max_retries=None, result=[tuples])`:
    /// retries itself (1 s, or `interval`, for ever unless `max_retries`) until every header
    /// member is ready, then sends the body with the values in order, or fails it with
    /// `ChordError` naming the first member that failed.
    static func chordUnlock(_ ctx: TaskContext, _ args: [JSONValue], _ kwargs: [String: JSONValue]) async throws -> JSONValue {
        guard let gid = try argument("group_id", at: 0, args, kwargs).stringValue else {
            throw CeleryError(.badArguments, "group_id must be a string")
        }
        let body = try Signature(json: try argument("callback", at: 1, args, kwargs))
        let members = (kwargs["result"]?.arrayValue ?? []).compactMap(ResultTuple.init(json:))
        let interval = kwargs["interval"]?.doubleValue ?? 1
        let maxRetries = kwargs["max_retries"]?.intValue.map(Int.init) ?? Int.max
        guard let backend = ctx.app.backend else { throw CeleryError(.invalidState, "celery.chord_unlock needs a result backend") }
        var metas: [String: TaskMeta] = [:]
        for id in members.flatMap(\.leafIds) {
            guard let m = try await backend.meta(for: id), m.status.isReady else {
                throw ctx.retry(after: .seconds(double: interval), maxRetries: maxRetries)
            }
            metas[id] = m
        }
        func value(_ r: ResultTuple) -> ChordJoin.Part {
            switch r {
            case .task(let id, _):
                let m = metas[id]!
                return ChordJoin.Part(taskId: id, state: m.status, result: m.result)
            case .group(let id, _, let ms):
                let parts = ms.map(value)
                if let f = parts.first(where: { $0.state != .success }) { return f }
                return ChordJoin.Part(taskId: id, state: .success, result: .array(parts.map(\.result)))
            }
        }
        let join = ChordJoin(parts: members.map(value), claim: gid)
        await ChordCompletion.complete(app: ctx.app, body: body, join: join, parent: (ctx.id, ctx.rootId ?? ctx.id), logger: ctx.logger, namingMember: false)
        return .null
    }
}
