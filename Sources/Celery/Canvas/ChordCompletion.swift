#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// What happens when a chord's header is complete (shared by the native join and
/// `celery.chord_unlock`), and how failures travel down a canvas — as Celery's backends do it.
public enum ChordCompletion {
    /// Sends the body with the header's values in order, or — when a member failed or was
    /// revoked — stores `ChordError` (module `celery.exceptions`) as the body's result, sends the
    /// body's errbacks and fails the rest of its chain. The message is Celery's: `Dependency <id>
    /// raised <repr>` from a native join, the bare `<repr>` from `chord_unlock` (`namingMember` false),
    /// which on backends without a result cache cannot name the member.
    public static func complete(
        app: Celery, body: Signature, join: ChordJoin, parent: (id: String, rootId: String)?, logger: Logger,
        namingMember: Bool = true
    ) async {
        if let f = join.firstFailure {
            let repr = pythonRepr(exceptionInfo: f.result, state: f.state)
            let reason = namingMember ? "Dependency \(f.taskId) raised \(repr)" : repr
            logger.error("chord body \(body.task) not run: \(reason)")
            await fail(app: app, body: body, type: "ChordError", module: "celery.exceptions", message: reason, logger: logger)
            return
        }
        var p = CanvasPublisher(app: app, parent: parent)
        do { try await p.apply(body, args: [.array(join.parts.map(\.result))]) } catch {
            logger.error("could not send chord body \(body.task): \(error)")
            await fail(app: app, body: body, type: "ChordError", module: "celery.exceptions", message: "Callback error: \(error)", logger: logger)
        }
    }

    /// Celery's `chord_error_from_stack`: the body (every member, for a group body) is stored as
    /// FAILURE with the error, its errbacks are sent old-style and its chain is failed.
    public static func fail(app: Celery, body: Signature, type: String, module: String, message: String, logger: Logger) async {
        let info = TaskError(type: type, message: message, module: module).exceptionInfo
        var targets = body.kind == .group ? CanvasPublisher.flatten(body.tasks) : [body]
        if targets.isEmpty { targets = [body] }
        for var t in targets {
            let id = t.taskId ?? CanvasPublisher.newId()
            t.taskId = id
            await storeFailure(app: app, id: id, info: info, name: t.task, logger: logger)
            await sendErrbacks(app: app, errbacks: t.signatures(option: "link_error"), failedId: id, rootId: t.options["root_id"]?.stringValue ?? id, logger: logger)
        }
        await failChain(app: app, chain: body.signatures(option: "chain"), info: info, traceback: nil, logger: logger)
    }

    /// Celery's `_fail_chain`: every remaining chain step with a task id gets FAILURE (so a
    /// caller waiting on the chain's result is not left waiting); a step that is a chord member
    /// is reported to the chord; a chord step's body fails too.
    public static func failChain(app: Celery, chain: [Signature], info: JSONValue, traceback: String?, logger: Logger) async {
        for step in chain {
            if let id = step.taskId, step.kind != .group {
                await storeFailure(app: app, id: id, info: info, name: step.task, traceback: traceback, logger: logger)
            }
            if let gid = step.options["group_id"]?.stringValue, let id = step.taskId,
                let body = step.options["chord"].flatMap({ try? Signature(json: $0) })
            {
                await partReturned(
                    app: app, groupId: gid, taskId: id, groupIndex: step.options["group_index"]?.intValue.map(Int.init),
                    state: .failure, result: info, body: body, parent: nil, logger: logger)
            }
            if step.kind == .chord, let body = step.chordBody, let id = body.taskId {
                await storeFailure(app: app, id: id, info: info, name: body.task, traceback: traceback, logger: logger)
            }
        }
    }

    /// Reports a ready chord member to a backend with a native join; completes the chord when
    /// this member was the last one.
    public static func partReturned(
        app: Celery, groupId: String, taskId: String, groupIndex: Int?, state: TaskState, result: JSONValue, body: Signature,
        parent: (id: String, rootId: String)?, logger: Logger
    ) async {
        guard let joiner = app.backend as? any ChordJoiningBackend else { return }
        do {
            guard let join = try await joiner.chordPartReturned(
                groupId: groupId, taskId: taskId, groupIndex: groupIndex, state: state, result: result)
            else { return }
            await complete(app: app, body: body, join: join, parent: parent, logger: logger)
            try await joiner.chordFinished(groupId: groupId, join: join)
        } catch {
            logger.error("chord \(groupId): recording member \(taskId) failed: \(error)")
        }
    }

    /// Old-style errbacks (Celery's `_call_task_errbacks`): one group of the errbacks, sent with
    /// the failed task's id prepended (unless an errback is immutable).
    public static func sendErrbacks(app: Celery, errbacks: [Signature], failedId: String, rootId: String, logger: Logger) async {
        guard !errbacks.isEmpty else { return }
        var p = CanvasPublisher(app: app, parent: (failedId, rootId))
        do {
            try await p.apply(
                Signature.group(errbacks), args: [.string(failedId)],
                options: ["parent_id": .string(failedId), "root_id": .string(rootId)])
        } catch {
            logger.error("could not send errbacks of \(failedId): \(error)")
        }
    }

    static func storeFailure(app: Celery, id: String, info: JSONValue, name: String, traceback: String? = nil, logger: Logger) async {
        guard let backend = app.backend else { return }
        var meta = TaskMeta(taskId: id, status: .failure, result: info, dateDone: Date())
        let e = TaskError(exceptionInfo: info, traceback: nil, state: .failure)
        meta.traceback = traceback ?? "Traceback (most recent call last):\n  \(name)[\(id)] not run\n\(e.module.map { "\($0)." } ?? "")\(e.type): \(e.message)"
        do { try await backend.store(meta) } catch { logger.error("could not store FAILURE for \(id): \(error)") }
    }

    /// Python's `repr()` of the exception an exception info describes: `RuntimeError('boom')`.
    public static func pythonRepr(exceptionInfo: JSONValue, state: TaskState) -> String {
        guard case .object(let o) = exceptionInfo else {
            return state == .revoked ? "TaskRevokedError(\(PythonRepr.repr(exceptionInfo)))" : PythonRepr.repr(exceptionInfo)
        }
        let type = o["exc_type"]?.stringValue ?? "Exception"
        let args: [JSONValue]
        switch o["exc_message"] {
        case .array(let a)?: args = a
        case let v? where !v.isNull: args = [v]
        default: args = []
        }
        return "\(type)(\(args.map(PythonRepr.repr).joined(separator: ", ")))"
    }
}
