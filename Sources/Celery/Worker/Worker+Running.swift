#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

extension Worker {
    /// Runs a task body; `target` learns how to cancel it (a revoke with `terminate`, a cold
    /// shutdown). The caller has registered the task as running in its slot.
    ///
    /// Without time limits the body runs inline in the slot's own task: no task is created
    /// and no thread is crossed; cancelling it cancels the slot. With a soft or hard limit it
    /// runs in a task of its own, raced against a timer (the worker must be able to stop
    /// waiting for it). A task registered with ``TaskOptions/blocking`` runs on
    /// ``ThreadPoolTaskExecutor/blocking`` either way.
    func runBody(
        _ task: RegisteredTask, ctx: TaskContext, message m: TaskMessage, soft: Duration?, hard: Duration?, slot: Int,
        target: CancelTarget
    ) async -> Outcome {
        guard soft != nil || hard != nil else {
            target.set { self.cancelSlot(slot) }
            do { return .success(try await Self.invoke(task, ctx, m)) } catch { return .failure(error) }
        }
        let first = FirstCompletion<Outcome>()
        let body = Task {
            do { first.complete(.success(try await Self.invoke(task, ctx, m))) } catch { first.complete(.failure(error)) }
        }
        target.set { body.cancel() }
        let limit = soft ?? hard!
        let isSoft = soft != nil
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { first.complete(isSoft ? .softTimeout(limit) : .hardTimeout(limit)) }
        }
        let outcome = await withTaskCancellationHandler {
            await first.value
        } onCancel: {
            body.cancel()
        }
        timer.cancel()
        switch outcome {
        case .softTimeout(let limit):
            // Cancel the body; wait for it to end within the hard limit (or 5 s), then let go.
            body.cancel()
            let grace = hard.map { $0 > limit ? $0 - limit : .zero } ?? .seconds(5)
            let ended = FirstCompletion<Bool>()
            let waiter = Task { _ = await body.result; ended.complete(true) }
            let graceTimer = Task { try? await Task.sleep(for: grace); ended.complete(false) }
            if await !ended.value {
                ctx.logger.warning("task ignored cancellation after its soft time limit; abandoning it")
            }
            waiter.cancel()
            graceTimer.cancel()
        case .hardTimeout:
            body.cancel()
        default:
            break
        }
        return outcome
    }

    /// Calls the body, on the blocking pool when the task asks for it.
    static func invoke(_ task: RegisteredTask, _ ctx: TaskContext, _ m: TaskMessage) async throws -> JSONValue {
        if task.options.blocking {
            return try await withTaskExecutorPreference(ThreadPoolTaskExecutor.blocking) { try await task.run(ctx, m.args, m.kwargs) }
        }
        return try await task.run(ctx, m.args, m.kwargs)
    }

    /// Publishes the retry of a failed run (same id, `retries + 1`, `eta` = now + `delay`)
    /// and stores RETRY; returns whether the retry message was published.
    func publishRetry(
        _ m: TaskMessage, error: any Error, delay: Duration, route: Route, base: TaskMeta, storeResults: Bool, log: Logger
    ) async -> Bool {
        var next = m
        next.retries += 1
        next.eta = Date().addingTimeInterval(delay.seconds)
        do {
            try await app.publish(next, to: route, retry: RetryPolicy(maxRetries: 3, initialDelay: .milliseconds(200), jitter: false))
        } catch {
            log.error("could not publish retry: \(error); returning the message to its queue")
            return false
        }
        state.withLock { $0.stats.retried += 1 }
        await events?.send("task-retried", ordered: ["uuid": .string(m.id), "exception": .string(describe(error)), "retries": .int(Int64(next.retries))])
        log.info("task retry \(next.retries) in \(Format.fixed(delay.seconds, places: 3))s: \(describe(error))")
        if storeResults {
            var meta = base
            meta.status = .retry
            let info = Self.exceptionInfo(error is RetryRequest ? TaskFailure(type: "Retry", module: "celery.exceptions", message: "\(error)") : error)
            meta.result = info.exceptionInfo
            meta.retries = next.retries
            meta.dateDone = nil
            _ = await storeReliably(meta, log: log)
        }
        return true
    }
}
