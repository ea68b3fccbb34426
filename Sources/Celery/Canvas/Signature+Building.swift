#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Building canvases in Swift, the way Celery's `add.s(2, 2) | mul.s(4)` reads in Python.
///
/// ```swift
/// let add = TaskHandle<Number, Number, Number>(name: "tasks.add", app: app)
/// let canvas = try add.s(2, 2) | mul.partial(4) | add.partial(1)       // chain
/// let r = try await app.apply(canvas)                                   // 17, with parents
/// let sum = try await app.apply(Signature.chord((0..<10).map { try add.s(.int($0), .int($0)) }, xsum.partial()))
/// ```
extension TaskHandle {
    /// A signature with every argument (Celery's `add.s(2, 2)`); the parent's result is
    /// prepended when it runs in a chain or as a callback.
    public func s(_ arguments: repeat each Argument) throws -> Signature {
        var args: [JSONValue] = []
        repeat args.append(try JSONCoding.value(of: each arguments))
        return Signature(task: name, args: args)
    }

    /// An immutable signature (Celery's `add.si(2, 2)`): the parent's result is not prepended.
    public func si(_ arguments: repeat each Argument) throws -> Signature {
        var sig = try s(repeat each arguments)
        sig.immutable = true
        return sig
    }

    /// A signature with some leading arguments; the rest come from the parent's result
    /// (`mul.partial(4)` is Celery's `mul.s(4)` in a chain) and from `kwargs`.
    public func partial(_ arguments: JSONValue..., kwargs: [String: JSONValue] = [:]) -> Signature {
        Signature(task: name, args: arguments, kwargs: kwargs)
    }

    /// Celery's `task.map(items)`: one `celery.map` message; the worker runs the task once per item.
    public func map(_ items: [JSONValue]) -> Signature {
        Signature(task: "celery.map", kwargs: ["task": partial().json, "it": .array(items)], subtaskType: "xmap", immutable: true)
    }

    /// Celery's `task.starmap(items)`: like ``map(_:)`` with each item spread as the arguments.
    public func starmap(_ items: [[JSONValue]]) -> Signature {
        Signature(
            task: "celery.starmap", kwargs: ["task": partial().json, "it": .array(items.map(JSONValue.array))], subtaskType: "xstarmap",
            immutable: true)
    }

    /// Celery's `task.chunks(items, n)`: a group of `celery.starmap` messages of `n` items each.
    public func chunks(_ items: [[JSONValue]], _ n: Int) -> Signature {
        Signature(
            task: "celery.chunks", kwargs: ["task": partial().json, "it": .array(items.map(JSONValue.array)), "n": .int(Int64(n))],
            subtaskType: "chunks", immutable: true)
    }
}

extension Signature {
    /// A chain of signatures (Celery's `chain(a, b, c)`).
    public static func chain(_ steps: Signature...) -> Signature { chain(steps) }

    /// A group of signatures (Celery's `group(a, b, c)`).
    public static func group(_ members: Signature...) -> Signature { group(members) }

    /// A chord (Celery's `chord([a, b], body)`): the body runs with the members' values in order.
    public static func chord(_ header: [Signature], _ body: Signature) -> Signature { chord(group(header), body: body) }

    /// Celery's `a | b`: a chain (a group followed by a task becomes a chord when sent).
    public static func | (a: Signature, b: Signature) -> Signature {
        let left = a.kind == .chain && a.options.isEmpty ? a.tasks : [a]
        let right = b.kind == .chain && b.options.isEmpty ? b.tasks : [b]
        return chain(left + right)
    }

    /// A copy that ignores the parent's result (Celery's `.set(immutable=True)` / `si`).
    public func asImmutable() -> Signature {
        var s = self
        s.immutable = true
        return s
    }

    /// A copy with call options set (Celery's `sig.set(...)`): task id, countdown or eta,
    /// expiry, queue (or broadcast) route, priority, time limits, ignore result, headers.
    public func with(_ o: CallOptions) -> Signature {
        var s = self
        for (k, v) in o.signatureOptions { s.options[k] = v }
        return s
    }

    /// A copy whose id is fixed in advance.
    public func with(id: String) -> Signature {
        var s = self
        s.taskId = id
        return s
    }

    /// A copy with a success callback (Celery's `link`): it gets this result prepended.
    public func link(_ callback: Signature) -> Signature {
        var s = self
        s.appendOption("link", [callback])
        return s
    }

    /// A copy with an error callback (Celery's `link_error`): it gets the failed task's id.
    public func linkError(_ errback: Signature) -> Signature {
        var s = self
        CanvasPublisher.linkError(&s, errback)
        return s
    }
}

extension CallOptions {
    /// The options as Celery's signature `options` dict.
    public var signatureOptions: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let taskId { o["task_id"] = .string(taskId) }
        if let countdown { o["countdown"] = .double(countdown.seconds) }
        if let eta { o["eta"] = .string(CeleryDate.format(eta)) }
        if let expires { o["expires"] = .string(CeleryDate.format(expires)) }
        if case .queue(let q)? = route { o["queue"] = .string(q) }
        if let priority { o["priority"] = .int(Int64(priority)) }
        if let softTimeLimit { o["soft_time_limit"] = .double(softTimeLimit.seconds) }
        if let hardTimeLimit { o["time_limit"] = .double(hardTimeLimit.seconds) }
        if let ignoreResult { o["ignore_result"] = .bool(ignoreResult) }
        if !headers.isEmpty { o["headers"] = .object(headers) }
        if let parentId { o["parent_id"] = .string(parentId) }
        if let rootId { o["root_id"] = .string(rootId) }
        return o
    }
}
