#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

extension Worker {
    func baseMeta(_ m: TaskMessage, route: Route) -> TaskMeta {
        var meta = TaskMeta(taskId: m.id, status: .pending)
        meta.groupId = m.group
        meta.parentId = m.parentId
        meta.replyTo = m.replyTo
        if app.configuration.resultExtended {
            meta.name = m.task
            meta.args = .array(m.args)
            meta.kwargs = .object(m.kwargs)
            meta.worker = options.hostname
            meta.retries = m.retries
            meta.queue = route.name
        }
        return meta
    }

    func failureMeta(id: String, name: String?, message: TaskMessage?, error: any Error, started: Date?, base: TaskMeta? = nil) -> TaskMeta {
        var meta = base ?? message.map { baseMeta($0, route: .queue("")) } ?? TaskMeta(taskId: id, status: .failure)
        meta.taskId = id
        meta.status = .failure
        let info = Self.exceptionInfo(error)
        meta.result = info.exceptionInfo
        meta.traceback = """
            Traceback (most recent call last):
              Task \(name ?? "?")[\(id)] on \(options.hostname), retries \(message?.retries ?? 0)
            \(info.module.map { "\($0)." } ?? "")\(info.type): \(info.message)
            """
        meta.dateDone = Date()
        if meta.dateStarted == nil { meta.dateStarted = started }
        return meta
    }

    /// Maps a Swift error to Celery's exception info.
    static func exceptionInfo(_ error: any Error) -> TaskError {
        switch error {
        case let e as TaskFailure: return TaskError(type: e.type, message: e.message, module: e.module)
        case let e as TaskError: return e
        case let e as CeleryError where e.kind == .badArguments: return TaskError(type: "TypeError", message: e.message, module: "builtins")
        case let e as MaxRetriesExceeded:
            return TaskError(type: "MaxRetriesExceededError", message: e.description, module: "celery.exceptions")
        case is CancellationError: return TaskError(type: "CancelledError", message: "task was cancelled", module: "asyncio.exceptions")
        default: return TaskError(type: String(describing: type(of: error)), message: String(describing: error), module: "swift")
        }
    }

    func describe(_ error: any Error) -> String {
        let e = Self.exceptionInfo(error)
        return "\(e.type): \(e.message)"
    }

    /// Stores a meta, retrying with backoff while the backend is unreachable; gives up only
    /// on cold shutdown. Returns whether it was stored.
    func storeReliably(_ meta: TaskMeta, log: Logger) async -> Bool {
        guard let backend = app.backend else { return true }
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
        var attempt = 0
        while true {
            do {
                try await backend.store(meta)
                return true
            } catch let e as CeleryError where e.kind == .tooLarge && meta.status == .success {
                log.error("result too large to store: \(e.message); storing FAILURE instead")
                var f = meta
                f.status = .failure
                f.result = TaskError(type: "ResultTooLarge", message: e.message, module: "celery.exceptions").exceptionInfo
                return await storeReliably(f, log: log)
            } catch {
                let delay = backoff.delay(attempt: attempt)
                if lifecycle.phase >= .coldShutdown { return false }
                if lifecycle.phase >= .warmShutdown && delay > .seconds(5) { return false }
                log.error("could not store \(meta.status) for \(meta.taskId) (\(error)); retrying in \(delay.seconds)s, message kept unacknowledged")
                try? await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }
}
