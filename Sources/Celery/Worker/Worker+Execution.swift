#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

extension Worker {
    /// How a run ended.
    enum Outcome {
        case success(JSONValue)
        case failure(any Error)
        case softTimeout(Duration)
        case hardTimeout(Duration)
    }

    /// Processes one delivery: validate, run, store, settle. Never throws, never crashes.
    func execute(_ inc: Incoming) async {
        let d = inc.delivery
        // The task's logger: the worker's metadata plus task_id and task_name, set in one
        // assignment (a handler may render its metadata on every change).
        var log = logger
        var metadata = log.handler.metadata
        if let id = inc.message?.id ?? d.message.taskId { metadata["task_id"] = .string(id) }
        if let name = inc.message?.task ?? d.message.taskName { metadata["task_name"] = .string(name) }
        log.handler.metadata = metadata

        // 1. Bad input: reject with a reason, store FAILURE when there is an id.
        if let reason = rejectionReason(inc) {
            log.error("rejected message: \(reason.message)")
            state.withLock { $0.stats.rejected += 1 }
            if let id = inc.message?.id ?? d.message.taskId {
                let meta = failureMeta(
                    id: id, name: inc.message?.task ?? d.message.taskName, message: inc.message,
                    error: TaskFailure(type: reason.type, module: reason.module, message: reason.message), started: nil)
                _ = await storeReliably(meta, log: log)
            }
            do { try await d.deadLetter(reason: reason.message) } catch { log.error("dead-lettering failed: \(error)") }
            if let id = inc.message?.id ?? d.message.taskId {
                await events?.send("task-rejected", ordered: ["uuid": .string(id), "requeue": false, "reason": .string(reason.message)])
            }
            return
        }
        guard let m = inc.message, let task = app.registeredTask(m.task) else { return }

        // 2. Revoked or expired: REVOKED, not run.
        if isRevoked(m.id) || (m.expires.map { $0 <= Date() } ?? false) {
            let expired = !isRevoked(m.id)
            log.info(expired ? "task expired, not run" : "task revoked, not run")
            state.withLock { $0.stats.revoked += 1 }
            var meta = baseMeta(m, route: d.route)
            meta.status = .revoked
            meta.result = TaskError(type: "TaskRevokedError", message: expired ? "expired" : "revoked", module: "celery.exceptions").exceptionInfo
            meta.dateDone = Date()
            if !m.ignoreResult { _ = await storeReliably(meta, log: log) }
            await settleCanvas(of: m, meta: meta, log: log)
            try? await d.ack()
            await events?.send("task-revoked", ordered: ["uuid": .string(m.id), "terminated": false, "expired": .bool(expired), "signum": nil])
            return
        }

        // 3. Run.
        await waitForRateLimit(m.task)
        let acksLate = task.options.acksLate ?? options.acksLate
        if !acksLate { try? await d.ack() }
        let startedAt = Date()
        let storeResults = app.backend != nil && !m.ignoreResult && !task.options.ignoreResult
        var base = baseMeta(m, route: d.route)
        base.dateStarted = startedAt
        if storeResults, task.options.trackStarted ?? options.trackStarted {
            var started = base
            started.status = .started
            started.result = ["pid": .int(Int64(ProcessInfo.processInfo.processIdentifier)), "hostname": .string(options.hostname)]
            do { try await app.backend!.store(started) } catch { log.warning("could not store STARTED: \(error)") }
        }
        await events?.send("task-started", ordered: ["uuid": .string(m.id)])
        log.info("task started\(d.redelivered ? " (redelivered, delivery \(d.deliveryCount))" : "")")
        let ctx = TaskContext(
            id: m.id, name: m.task, retries: m.retries, args: m.args, kwargs: m.kwargs, route: d.route,
            redelivered: d.redelivered, hostname: options.hostname, rootId: m.rootId, parentId: m.parentId, logger: log,
            app: app, startedAt: startedAt, ignoreResult: !storeResults, maxRetriesDefault: app.configuration.defaultMaxRetries,
            extended: base)
        let soft = m.softTimeLimit.map { Duration.seconds(double: $0) } ?? task.options.softTimeLimit ?? options.softTimeLimit
        let hard = m.hardTimeLimit.map { Duration.seconds(double: $0) } ?? task.options.hardTimeLimit ?? options.hardTimeLimit
        let info = ActiveTaskInfo(
            id: m.id, name: m.task, args: m.args, kwargs: m.kwargs, startedAt: startedAt, route: d.route, deliveryCount: d.deliveryCount)
        let outcome = await runBody(task, ctx: ctx, message: m, info: info, soft: soft, hard: hard)
        let runtime = Date().timeIntervalSince(startedAt)
        base.runtime = runtime
        state.withLock { $0.stats.total[m.task, default: 0] += 1 }

        let (terminated, cold) = state.withLock { s in (s.terminated.remove(m.id) != nil, s.cold) }
        if cold, !terminated, case .failure(let e) = outcome, e is CancellationError {
            log.warning("task cancelled by cold shutdown; message returned to the queue")
            if acksLate { try? await d.requeue() }
            return
        }

        // 4. Outcome → meta, follow-ups, settlement.
        var meta = base
        meta.dateDone = Date()
        switch outcome {
        case _ where terminated:
            meta.status = .revoked
            meta.result = TaskError(type: "TaskRevokedError", message: "terminated", module: "celery.exceptions").exceptionInfo
            state.withLock { $0.stats.revoked += 1 }
            log.info("task terminated by revoke")
        case .success(let value):
            meta.status = .success
            meta.result = value
            state.withLock { $0.stats.succeeded += 1 }
            log.info("task succeeded in \(Format.fixed(runtime, places: 6))s: \(PythonRepr.repr(value).prefix(200))")
            meta.children = await sendFollowUps(of: m, result: value, log: log)
        case .failure(let error):
            if let retry = await retryIfRequested(m, task: task, error: error, route: d.route, base: base, storeResults: storeResults, log: log) {
                if retry { try? await d.ack() } else if acksLate { try? await d.requeue() }
                return
            }
            meta = failureMeta(id: m.id, name: m.task, message: m, error: error, started: startedAt, base: base)
            state.withLock { $0.stats.failed += 1 }
            log.error("task failed in \(Format.fixed(runtime, places: 6))s: \(describe(error))")
        case .softTimeout(let limit), .hardTimeout(let limit):
            let hardLimit: Bool
            if case .hardTimeout = outcome { hardLimit = true } else { hardLimit = false }
            let type = hardLimit ? "TimeLimitExceeded" : "SoftTimeLimitExceeded"
            meta = failureMeta(
                id: m.id, name: m.task, message: m,
                error: TaskFailure(type: type, module: "billiard.exceptions", message: "time limit (\(limit.seconds)s) exceeded"),
                started: startedAt, base: base)
            state.withLock { $0.stats.failed += 1 }
            log.error("task exceeded its \(hardLimit ? "hard" : "soft") time limit of \(limit.seconds)s")
        }
        await events?.send(Self.eventType(meta.status), ordered: [
            "uuid": .string(m.id), "runtime": .double(runtime),
            "result": meta.status == .success ? .string(PythonRepr.repr(meta.result)) : .null,
            "exception": meta.status == .failure ? .string(meta.error.map { "\($0.type)(\(PythonRepr.repr(.string($0.message))))" } ?? "") : .null,
            "traceback": meta.traceback.map(JSONValue.string) ?? .null,
            "terminated": .bool(meta.status == .revoked),
        ])
        if storeResults {
            let stored = await storeReliably(meta, log: log)
            if !stored {
                // Could not store (shutdown while the backend is down): keep the message.
                if acksLate { try? await d.requeue() }
                return
            }
        }
        await settleCanvas(of: m, meta: meta, log: log)
        if acksLate {
            do { try await d.ack() } catch { log.warning("ack failed: \(error)") }
        }
    }

    static func eventType(_ s: TaskState) -> String {
        switch s {
        case .success: return "task-succeeded"
        case .revoked: return "task-revoked"
        default: return "task-failed"
        }
    }

    /// Why a delivery must be rejected, if it must.
    func rejectionReason(_ inc: Incoming) -> (type: String, module: String, message: String)? {
        let d = inc.delivery
        if let e = d.message.decodeError { return ("ContentDisallowed", "kombu.exceptions", "undecodable message: \(e)") }
        if d.message.body.count > options.maxMessageBytes {
            return ("ContentDisallowed", "kombu.exceptions", "message body of \(d.message.body.count) bytes exceeds the limit of \(options.maxMessageBytes)")
        }
        if let e = inc.decodeError { return ("ContentDisallowed", "kombu.exceptions", e.message) }
        guard let m = inc.message else { return ("ContentDisallowed", "kombu.exceptions", "no task message") }
        if d.deliveryCount > options.maxDeliveries {
            return ("PoisonMessage", "celery.exceptions", "delivered \(d.deliveryCount) times (max \(options.maxDeliveries)): poison message")
        }
        if app.registeredTask(m.task) == nil {
            return ("NotRegistered", "celery.exceptions", "unknown task '\(m.task)' (registered: \(app.registeredTaskNames.joined(separator: ", ")))")
        }
        return nil
    }

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
        var delay = 0.2
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
                if state.withLock({ $0.cold }) || coldRequested.isFired { return false }
                if state.withLock({ $0.stopping }) && delay > 5 { return false }
                log.error("could not store \(meta.status) for \(meta.taskId) (\(error)); retrying in \(delay)s, message kept unacknowledged")
                try? await Task.sleep(for: .seconds(double: delay))
                delay = min(delay * 2, 10)
            }
        }
    }
}
