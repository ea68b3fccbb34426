#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CanvasPublisher {
    /// Publishes one task signature as Celery's `Task.apply_async` → `send_task` would: its
    /// options become the message (`task_id`, `countdown`/`eta`, `expires`, `group_id`,
    /// `group_index`, `chord`, `link`, `link_error`, `chain`, `parent_id`, `root_id`, `queue`,
    /// `routing_key`, `priority`, `time_limit`, `soft_time_limit`, `ignore_result`, `shadow`,
    /// `retries`, `reply_to`, `headers`). Unknown options are ignored, as Celery ignores them.
    func send(_ sig: Signature) async throws -> ResultTuple {
        let m = try message(for: sig)
        try await app.publish(m, to: route(for: sig), retry: RetryPolicy(maxRetries: 3, initialDelay: .milliseconds(200), jitter: false))
        return .task(id: m.id, parent: nil)
    }

    /// The protocol v2 message for a task signature.
    func message(for sig: Signature) throws -> TaskMessage {
        let o = sig.options
        let id = o["task_id"]?.stringValue ?? Self.newId()
        var m = TaskMessage(task: sig.task, id: id, args: sig.args, kwargs: sig.kwargs)
        m.parentId = o["parent_id"]?.stringValue ?? parent?.id
        m.rootId = o["root_id"]?.stringValue ?? parent?.rootId ?? id
        m.group = o["group_id"]?.stringValue
        m.groupIndex = o["group_index"]?.intValue.map(Int.init)
        if let c = o["countdown"]?.doubleValue {
            m.eta = Date().addingTimeInterval(c)
        } else if let e = o["eta"]?.stringValue {
            m.eta = CeleryDate.parse(e)
        }
        if let x = o["expires"]?.doubleValue {
            m.expires = Date().addingTimeInterval(x)
        } else if let x = o["expires"]?.stringValue {
            m.expires = CeleryDate.parse(x)
        }
        m.priority = o["priority"]?.intValue.map(Int.init)
        m.hardTimeLimit = o["time_limit"]?.doubleValue
        m.softTimeLimit = o["soft_time_limit"]?.doubleValue
        m.ignoreResult = o["ignore_result"]?.boolValue ?? app.registeredTask(sig.task)?.options.ignoreResult ?? false
        m.shadow = o["shadow"]?.stringValue
        m.retries = o["retries"]?.intValue.map(Int.init) ?? 0
        m.replyTo = o["reply_to"]?.stringValue ?? (app.backend as? any ReplyQueueBackend)?.replyQueue
        if case .object(let h)? = o["headers"] { for (k, v) in h { m.extraHeaders[k] = v } }
        let callbacks = sig.signatures(option: "link")
        let errbacks = sig.signatures(option: "link_error")
        let chain = sig.signatures(option: "chain")
        m.embed = Embed(
            callbacks: callbacks.isEmpty ? nil : callbacks, errbacks: errbacks.isEmpty ? nil : errbacks,
            chain: chain.isEmpty ? nil : chain,
            chord: try o["chord"].flatMap { $0.isNull ? nil : try Signature(json: $0) })
        return m
    }

    /// The route of a task signature: `queue` (a name or kombu's `{name: …}`), else `routing_key`
    /// on the default exchange, else the app's route for the task (for `celery.map`/`starmap`,
    /// the inner task's, as Celery routes them).
    func route(for sig: Signature) -> Route {
        switch sig.options["queue"] {
        case .string(let q)?: return .queue(q)
        case .object(let q)?: if let n = q["name"]?.stringValue { return .queue(n) }
        default: break
        }
        if let rk = sig.options["routing_key"]?.stringValue, (sig.options["exchange"]?.stringValue ?? "").isEmpty { return .queue(rk) }
        if sig.kind == .map, let inner = sig.kwargs["task"].flatMap({ try? Signature(json: $0) }) {
            if let q = inner.options["queue"]?.stringValue { return .queue(q) }
            return app.route(for: inner.task)
        }
        return app.route(for: sig.task)
    }
}
