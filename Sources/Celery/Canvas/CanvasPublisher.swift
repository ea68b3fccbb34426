#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sends any signature — a task, chain, group, chord, chunks or map — exactly as Celery's
/// `apply_async` does, so a Python worker and ours see the same messages: chains travel in
/// `embed.chain` (reversed), groups as members with `group`/`group_index`, chords with
/// `embed.chord` and the backend's join set up first.
///
/// Used by clients (``Celery/apply(_:args:kwargs:options:)``) and by the worker for chain
/// steps, callbacks, errbacks and chord bodies. When `parent` is set (a worker sending on a
/// task's behalf), messages get its `parent_id`/`root_id` and the results sent are collected
/// in ``children`` (Celery's `request.children`, stored in the parent's meta).
public struct CanvasPublisher: Sendable {
    /// The app whose broker and backend are used.
    public let app: Celery
    /// The sending task: its id and root id.
    public let parent: (id: String, rootId: String)?
    /// Results sent so far that belong in the parent's `children`.
    public private(set) var children: [ResultTuple] = []

    /// A publisher for `app`; `parent` is the task sending (a worker's follow-ups).
    public init(app: Celery, parent: (id: String, rootId: String)? = nil) {
        self.app = app
        self.parent = parent
    }

    /// Sends `sig` with extra arguments (prepended unless immutable), keyword arguments and
    /// options (which override the signature's, except `group_id`). Returns the result tuple.
    @discardableResult
    public mutating func apply(
        _ sig: Signature, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], options: [String: JSONValue] = [:],
        addToParent: Bool = true
    ) async throws -> ResultTuple {
        switch sig.kind {
        case .task, .map:
            let r = try await send(sig.merged(args: args, kwargs: kwargs, options: options))
            if addToParent { children.append(r) }
            return r
        case .chain: return try await runChain(sig, args: args, kwargs: kwargs, options: options)
        case .group: return try await applyGroup(sig, args: args, kwargs: kwargs, options: options, addToParent: addToParent)
        case .chord: return try await applyChord(sig, args: args, kwargs: kwargs, options: options)
        case .chunks:
            let task = sig.kwargs["task"] ?? .null
            let items = sig.kwargs["it"]?.arrayValue ?? []
            let n = max(1, Int(sig.kwargs["n"]?.intValue ?? 1))
            let parts = stride(from: 0, to: items.count, by: n).map { Array(items[$0..<min($0 + n, items.count)]) }
            let members = parts.map {
                Signature(task: "celery.starmap", kwargs: ["task": task, "it": .array($0)], subtaskType: "xstarmap", immutable: true)
            }
            return try await applyGroup(
                Signature.group(members, options: sig.options), args: args, kwargs: kwargs, options: options, addToParent: addToParent)
        }
    }

    // MARK: Chain

    mutating func runChain(_ sig: Signature, args: [JSONValue], kwargs: [String: JSONValue], options: [String: JSONValue]) async throws
        -> ResultTuple
    {
        var opts = sig.options
        for (k, v) in options where !v.isNull { opts[k] = v }
        let partial = !args.isEmpty && !sig.immutable ? args + sig.args : sig.args
        let taskId = opts.removeValue(forKey: "task_id")?.stringValue
        let groupId = opts.removeValue(forKey: "group_id")?.stringValue
        let chord = try opts.removeValue(forKey: "chord").flatMap { $0.isNull ? nil : try Signature(json: $0) }
        let groupIndex = opts.removeValue(forKey: "group_index")?.intValue.map(Int.init)
        let link = sig.signatures(option: "link") + Signature(options: opts).signatures(option: "link")
        let linkError = Signature(options: opts).signatures(option: "link_error")
        opts["link"] = nil
        opts["link_error"] = nil
        // Used to freeze the steps, not sent with the first one (it takes its parent from the sender).
        let rootId = opts.removeValue(forKey: "root_id")?.stringValue
        let parentId = opts.removeValue(forKey: "parent_id")?.stringValue
        var (steps, results) = Self.prepareSteps(
            sig.tasks, args: partial, kwargs: kwargs, rootId: rootId, parentId: parentId, linkError: linkError,
            lastTaskId: taskId, groupId: groupId, chordBody: chord, groupIndex: groupIndex)
        guard !steps.isEmpty else { return .task(id: taskId ?? Self.newId(), parent: nil) }
        if !link.isEmpty { steps[0].appendOption("link", link) }
        let first = steps.removeLast()
        if opts["chain"] == nil || opts["chain"]?.isNull == true {
            opts["chain"] = .array(steps.map(\.json))
        } else if !steps.isEmpty, case .array(let existing)? = opts["chain"] {
            // A chain option already present (this chain is a chord body inside a chain):
            // our remaining steps run first, then the outer rest.
            opts["chain"] = .array(existing + steps.map(\.json))
        }
        let single = try await apply(first, options: opts)
        if steps.isEmpty { return single }
        return Self.chainResult(&results) ?? single
    }

    // MARK: Group

    mutating func applyGroup(
        _ sig: Signature, args: [JSONValue], kwargs: [String: JSONValue], options: [String: JSONValue], addToParent: Bool
    ) async throws -> ResultTuple {
        var opts = sig.options
        for (k, v) in options where !v.isNull {
            if (k == "group_id" || k == "stamped_headers"), opts[k] != nil { continue }
            opts[k] = v
        }
        let gid = opts.removeValue(forKey: "task_id")?.stringValue ?? Self.newId()
        opts["group_id"] = .string(gid)
        let rootId = opts["root_id"]?.stringValue
        let chordOption = try opts.removeValue(forKey: "chord").flatMap { $0.isNull ? nil : try Signature(json: $0) }
        opts["group_index"] = nil
        opts["link"] = nil
        opts["link_error"] = nil
        let partial = sig.args + args
        let members = Self.prepared(sig.tasks, groupId: gid, rootId: rootId)
        guard !members.isEmpty else { return .group(id: gid, parent: nil, members: []) }
        var results: [ResultTuple] = []
        var size = 0
        let joiner = app.backend as? any ChordJoiningBackend
        for i in members.indices {
            let own = try members[i].sig.options["chord"].flatMap { $0.isNull ? nil : try Signature(json: $0) }
            let chord = chordOption ?? own
            size += members[i].sig.chordContribution
            if chord != nil, i == members.count - 1, let joiner { try await joiner.setChordSize(groupId: gid, size: size) }
            var o = opts
            if let chord { o["chord"] = chord.json }
            _ = try await apply(members[i].sig, args: partial, kwargs: kwargs, options: o, addToParent: false)
            results.append(members[i].result)
        }
        var result = ResultTuple.group(id: gid, parent: nil, members: results)
        if results.count == 1, case .group = results[0] { result = results[0] }
        if addToParent { children.append(result) }
        return result
    }

    /// Celery's `group._prepared`: members (nested groups unrolled) frozen with the group id and their index.
    static func prepared(_ tasks: [Signature], groupId: String, rootId: String?) -> [(sig: Signature, result: ResultTuple)] {
        var out: [(Signature, ResultTuple)] = []
        for (index, t) in tasks.enumerated() {
            if t.kind == .group {
                out += prepared(t.tasks, groupId: groupId, rootId: rootId)
            } else {
                var s = t
                let r = freeze(&s, groupId: groupId, rootId: rootId, groupIndex: index)
                out.append((s, r))
            }
        }
        return out
    }

    // MARK: Chord

    mutating func applyChord(_ sig: Signature, args: [JSONValue], kwargs: [String: JSONValue], options: [String: JSONValue]) async throws
        -> ResultTuple
    {
        let partial = !args.isEmpty && !sig.immutable ? args + sig.args : sig.args
        var headerKwargs = sig.kwargs["kwargs"]?.objectValue ?? [:]
        for (k, v) in kwargs { headerKwargs[k] = v }
        guard var body = sig.chordBody else { throw CeleryError(.invalidState, "chord without a body") }
        body = body.merged(args: [], kwargs: [:], options: options)
        var header = sig.chordHeader
        var opts = sig.options
        for (k, v) in options where !v.isNull { opts[k] = v }
        let bodyTaskId = opts.removeValue(forKey: "task_id")?.stringValue
        let gid = header.taskId ?? Self.newId()
        let rootId = body.options["root_id"]?.stringValue
        for (k, v) in opts { body.options[k] = v }
        let bodyResult = Self.freeze(&body, id: bodyTaskId, rootId: rootId)
        opts["chain"] = nil
        opts["chord"] = nil
        header.taskId = gid
        let headerFrozen = Self.freezeGroup(&header, groupId: gid, chord: body, rootId: rootId, parentId: nil, groupIndex: nil)
        let headerResult: ResultTuple
        if header.tasks.isEmpty {
            _ = try await apply(body, args: [.array([])])
            headerResult = headerFrozen
        } else {
            let native = try await (app.backend as? any ChordJoiningBackend)?.applyChord(groupId: gid, header: headerFrozen, body: body) ?? false
            if !native { try await sendChordUnlock(groupId: gid, header: headerFrozen, body: body) }
            var o = opts
            o["task_id"] = .string(gid)
            headerResult = try await applyGroup(header, args: partial, kwargs: headerKwargs, options: o, addToParent: true)
        }
        return Self.attachRoot(bodyResult, to: headerResult)
    }

    /// Celery's `fallback_chord_unlock`: `celery.chord_unlock(gid, body, result=[tuples])`, one
    /// second from now, to the body's queue, results ignored.
    mutating func sendChordUnlock(groupId: String, header: ResultTuple, body: Signature) async throws {
        guard case .group(_, _, let members) = header else { return }
        var unlock = Signature(
            task: "celery.chord_unlock", args: [.string(groupId), body.json],
            kwargs: ["interval": .null, "max_retries": .null, "result": .array(members.map(\.json))], immutable: true)
        unlock.options["countdown"] = 1
        unlock.options["queue"] = body.options["queue"] ?? .string(app.route(for: body.task).name)
        unlock.options["priority"] = body.options["priority"] ?? 0
        unlock.options["ignore_result"] = true
        _ = try await send(unlock)
    }
}

extension Signature {
    /// A task-less signature carrying only options (to read list options from a dictionary).
    init(options: [String: JSONValue]) {
        self.init(task: "", options: options)
    }
}
