#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// Holds the first of several racing completions.
final class FirstOf<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiter: CheckedContinuation<Value, Never>?)>((nil, nil))

    func complete(_ v: Value) {
        let w = state.withLock { s -> CheckedContinuation<Value, Never>? in
            guard s.value == nil else { return nil }
            s.value = v
            let w = s.waiter
            s.waiter = nil
            return w
        }
        w?.resume(returning: v)
    }

    var value: Value {
        get async {
            await withCheckedContinuation { c in
                let v = state.withLock { s -> Value? in
                    if let v = s.value { return v }
                    s.waiter = c
                    return nil
                }
                if let v { c.resume(returning: v) }
            }
        }
    }
}

extension Worker {
    /// Runs a task body with its time limits, registered as active (so it can be terminated).
    func runBody(
        _ task: RegisteredTask, ctx: TaskContext, message m: TaskMessage, info: ActiveTaskInfo, soft: Duration?, hard: Duration?
    ) async -> Outcome {
        let first = FirstOf<Outcome>()
        let body = Task {
            do { first.complete(.success(try await task.run(ctx, m.args, m.kwargs))) } catch { first.complete(.failure(error)) }
        }
        let handle = RunningHandle(info: info, cancel: { body.cancel() })
        state.withLock { $0.active[m.id] = handle }
        defer { _ = state.withLock { $0.active.removeValue(forKey: m.id) } }
        var timer: Task<Void, Never>?
        if let limit = soft ?? hard {
            let isSoft = soft != nil
            timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { first.complete(isSoft ? .softTimeout(limit) : .hardTimeout(limit)) }
            }
        }
        let outcome = await withTaskCancellationHandler {
            await first.value
        } onCancel: {
            body.cancel()
        }
        timer?.cancel()
        switch outcome {
        case .softTimeout(let limit):
            // Cancel the body; wait for it to end within the hard limit (or 5 s), then let go.
            body.cancel()
            let grace = hard.map { $0 > limit ? $0 - limit : .zero } ?? .seconds(5)
            let ended = FirstOf<Bool>()
            let waiter = Task { _ = await body.result; ended.complete(true) }
            let graceTimer = Task { try? await Task.sleep(for: grace); ended.complete(false) }
            if await !ended.value {
                ctx.logger.warning("task ignored cancellation after its soft time limit; abandoning it")
            }
            waiter.cancel()
            graceTimer.cancel()
            return outcome
        case .hardTimeout:
            body.cancel()
            return outcome
        default:
            return outcome
        }
    }

    /// Handles an explicit retry request or an automatic retry policy. Returns `nil` when
    /// the error is not retried, `true` when the retry was published (original to be acked),
    /// `false` when publishing the retry failed (original to be requeued).
    func retryIfRequested(
        _ m: TaskMessage, task: RegisteredTask, error: any Error, route: Route, base: TaskMeta, storeResults: Bool, log: Logger
    ) async -> Bool? {
        let delay: Duration
        if let r = error as? RetryRequest {
            delay = r.delay ?? app.configuration.defaultRetryDelay
        } else if let policy = task.options.retryPolicy, !(error is CancellationError), !(error is MaxRetriesExceeded),
            policy.retryIf(error), m.retries < policy.maxRetries
        {
            delay = policy.delay(afterRetries: m.retries)
        } else {
            return nil
        }
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
