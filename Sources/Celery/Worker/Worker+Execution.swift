#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Tracing

extension Worker {
    /// How a run ended.
    enum Outcome {
        case success(JSONValue)
        case failure(any Error)
        case softTimeout(Duration)
        case hardTimeout(Duration)
    }

    /// Processes one delivery: validate, run, store, settle. Never throws, never crashes.
    func execute(_ inc: Incoming, slot: Int, cache: inout SlotCache) async {
        let d = inc.delivery
        // The task's logger: the worker's metadata plus task_id and task_name, set in one
        // assignment (a handler may render its metadata on every change).
        var log = logger
        var metadata = log.handler.metadata
        if let id = inc.message?.id ?? d.message.taskId { metadata["task_id"] = .string(id) }
        if let name = inc.message?.task ?? d.message.taskName { metadata["task_name"] = .string(name) }
        log.handler.metadata = metadata
        let runtime = inc.message.flatMap { self.runtime($0.task, cache: &cache) }
        metrics.prefetched.decrement()

        // 1. Bad input: reject with a reason, store FAILURE when there is an id.
        if let reason = rejectionReason(inc, registered: runtime != nil) {
            log.error("rejected message: \(reason.message)")
            TaskMetrics.rejected(task: inc.message?.task ?? d.message.taskName)
            state.withLock { $0.stats.rejected += 1 }
            let id = inc.message?.id ?? d.message.taskId
            if let id {
                let meta = failureMeta(
                    id: id, name: inc.message?.task ?? d.message.taskName, message: inc.message,
                    error: TaskFailure(type: reason.type, module: reason.module, message: reason.message), started: nil)
                _ = await storeReliably(meta, log: log)
            }
            await settle(d, .rejected(reason: reason.message), acksLate: true, log: log)
            if let id { await events?.send("task-rejected", ordered: ["uuid": .string(id), "requeue": false, "reason": .string(reason.message)]) }
            return
        }
        guard let m = inc.message, let runtime else { return }
        let task = runtime.task
        let acksLate = task.options.acksLate ?? options.acksLate

        // 2. Revoked or expired: REVOKED, not run.
        let revoked = isRevoked(m.id)
        if revoked || (m.expires.map { $0 <= Date() } ?? false) {
            log.info(revoked ? "task revoked, not run" : "task expired, not run")
            state.withLock { $0.stats.revoked += 1 }
            var meta = baseMeta(m, route: d.route)
            meta.status = .revoked
            meta.result = TaskError(type: "TaskRevokedError", message: revoked ? "revoked" : "expired", module: "celery.exceptions").exceptionInfo
            meta.dateDone = Date()
            if !m.ignoreResult { _ = await storeReliably(meta, log: log) }
            await settleCanvas(of: m, meta: meta, log: log)
            runtime.metrics.ended(.revoked)
            await settle(d, .revoked, acksLate: acksLate, log: log)
            await events?.send("task-revoked", ordered: ["uuid": .string(m.id), "terminated": false, "expired": .bool(!revoked), "signum": nil])
            return
        }

        // 3. Run.
        await waitForRateLimit(m.task)
        await settle(d, .starting, acksLate: acksLate, log: log)
        let startedAt = Date()
        runtime.metrics.startLatency.recordSeconds(max(0, startedAt.timeIntervalSince(max(inc.receivedAt, m.eta ?? inc.receivedAt))))
        let storeResults = app.backend != nil && !m.ignoreResult && !task.options.ignoreResult
        var base = baseMeta(m, route: d.route)
        base.dateStarted = startedAt
        // Registered as running before STARTED is visible: whoever sees STARTED finds the
        // task in `inspect active` and can terminate it.
        let info = ActiveTaskInfo(
            id: m.id, name: m.task, args: m.args, kwargs: m.kwargs, startedAt: startedAt, route: d.route, deliveryCount: d.deliveryCount)
        let target = CancelTarget()
        let handle = RunningHandle(info: info, cancel: { target.cancel() })
        state.withLock { $0.running[slot] = handle }
        if storeResults, task.options.trackStarted ?? options.trackStarted {
            var started = base
            started.status = .started
            started.result = ["pid": pid, "hostname": .string(options.hostname)]
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
        metrics.active.increment()
        // The run span covers the body, the result write and the follow-ups (its children).
        let span = TaskTracing.startRun(m, route: d.route, hostname: options.hostname)
        defer { span.end() }
        let outcome = await ServiceContext.$current.withValue(span.context) {
            await runBody(task, ctx: ctx, message: m, soft: soft, hard: hard, slot: slot, target: target)
        }
        metrics.active.decrement()
        state.withLock { $0.running[slot] = nil }
        let terminated = handle.terminated
        base.runtime = Date().timeIntervalSince(startedAt)
        runtime.countRun()
        runtime.metrics.runtime.recordSeconds(base.runtime!)
        let run = FinishedRun(
            delivery: d, message: m, task: task, outcome: outcome, terminated: terminated, base: base, startedAt: startedAt,
            acksLate: acksLate, storeResults: storeResults, log: log, report: RunReport(metrics: runtime.metrics, span: span))
        await ServiceContext.$current.withValue(span.context) {
            if Task.isCancelled {
                // This slot was cancelled (terminate, cold shutdown): store and settle from a
                // task that is not, so backend writes and acks are not cut short.
                await Task { await self.finish(run) }.value
            } else {
                await finish(run)
            }
        }
    }

    /// A run that has ended, with what settling it needs.
    struct FinishedRun: Sendable {
        var delivery: Delivery
        var message: TaskMessage
        var task: RegisteredTask
        var outcome: Outcome
        var terminated: Bool
        var base: TaskMeta
        var startedAt: Date
        var acksLate: Bool
        var storeResults: Bool
        var log: Logger
        var report: RunReport
    }

    /// Outcome → final state, follow-ups, events, store, settlement.
    func finish(_ r: FinishedRun) async {
        let (d, m, log) = (r.delivery, r.message, r.log)
        let runtime = r.base.runtime ?? 0
        if lifecycle.phase >= .coldShutdown, !r.terminated, case .failure(let e) = r.outcome, e is CancellationError {
            log.warning("task cancelled by cold shutdown; message returned to the queue")
            await settle(d, .cancelledByShutdown, acksLate: r.acksLate, log: log)
            return
        }
        var meta = r.base
        meta.dateDone = Date()
        switch r.outcome {
        case _ where r.terminated:
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
            if let delay = Settlement.retryDelay(
                after: error, policy: r.task.options.retryPolicy, retries: m.retries, defaultDelay: app.configuration.defaultRetryDelay)
            {
                let published = await publishRetry(m, error: error, delay: delay, route: d.route, base: r.base, storeResults: r.storeResults, log: log)
                if published { r.report.ended(.retry, error: nil) }
                await settle(d, .retried(published: published), acksLate: r.acksLate, log: log)
                return
            }
            meta = failureMeta(id: m.id, name: m.task, message: m, error: error, started: r.startedAt, base: r.base)
            state.withLock { $0.stats.failed += 1 }
            log.error("task failed in \(Format.fixed(runtime, places: 6))s: \(describe(error))")
        case .softTimeout(let limit), .hardTimeout(let limit):
            let hardLimit: Bool
            if case .hardTimeout = r.outcome { hardLimit = true } else { hardLimit = false }
            let type = hardLimit ? "TimeLimitExceeded" : "SoftTimeLimitExceeded"
            meta = failureMeta(
                id: m.id, name: m.task, message: m,
                error: TaskFailure(type: type, module: "billiard.exceptions", message: "time limit (\(limit.seconds)s) exceeded"),
                started: r.startedAt, base: r.base)
            state.withLock { $0.stats.failed += 1 }
            log.error("task exceeded its \(hardLimit ? "hard" : "soft") time limit of \(limit.seconds)s")
        }
        if let events {
            await events.send(Self.eventType(meta.status), ordered: [
                "uuid": .string(m.id), "runtime": .double(runtime),
                "result": meta.status == .success ? .string(PythonRepr.repr(meta.result)) : .null,
                "exception": meta.status == .failure ? .string(meta.error.map { "\($0.type)(\(PythonRepr.repr(.string($0.message))))" } ?? "") : .null,
                "traceback": meta.traceback.map(JSONValue.string) ?? .null,
                "terminated": .bool(meta.status == .revoked),
            ])
        }
        if case .failure(let e) = r.outcome, meta.status == .failure { r.report.ended(.failure, error: e) } else { r.report.ended(meta.status) }
        // Could not store (shutdown while the backend is down): the message is kept.
        let stored = r.storeResults ? await storeReliably(meta, log: log) : true
        if stored { await settleCanvas(of: m, meta: meta, log: log) }
        await settle(d, .finished(resultStored: stored), acksLate: r.acksLate, log: log)
    }

    static func eventType(_ s: TaskState) -> String {
        switch s {
        case .success: return "task-succeeded"
        case .revoked: return "task-revoked"
        default: return "task-failed"
        }
    }

    /// Why a delivery must be rejected, if it must. `registered`: whether its task is known.
    func rejectionReason(_ inc: Incoming, registered: Bool) -> (type: String, module: String, message: String)? {
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
        if !registered {
            return ("NotRegistered", "celery.exceptions", "unknown task '\(m.task)' (registered: \(app.registeredTaskNames.joined(separator: ", ")))")
        }
        return nil
    }
}
