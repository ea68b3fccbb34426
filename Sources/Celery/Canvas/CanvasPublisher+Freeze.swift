#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Freezing: giving every task of a canvas its id (and group, chord and root) before anything
/// is sent, as Celery's `freeze()` does, so results are known in advance and a worker that
/// sends a later step reuses the id the client already handed out.
extension CanvasPublisher {
    static func newId() -> String { UUID().uuidString.lowercased() }

    /// Celery's `freeze()` for any kind of signature; returns the result the canvas will have.
    static func freeze(
        _ sig: inout Signature, id: String? = nil, groupId: String? = nil, chord: Signature? = nil, rootId: String? = nil,
        parentId: String? = nil, groupIndex: Int? = nil
    ) -> ResultTuple {
        switch sig.kind {
        case .group:
            return freezeGroup(&sig, groupId: groupId, chord: chord, rootId: rootId, parentId: parentId, groupIndex: groupIndex)
        case .chain:
            var (steps, results) = prepareSteps(
                sig.tasks, args: sig.args, kwargs: [:], rootId: rootId, parentId: parentId, linkError: [], lastTaskId: id,
                groupId: groupId, chordBody: chord, groupIndex: groupIndex)
            steps.reverse()
            sig.tasks = steps
            sig.args = []
            return chainResult(&results) ?? .task(id: id ?? newId(), parent: nil)
        case .chord:
            var body = sig.chordBody ?? Signature(task: "celery.accumulate")
            let bodyResult = freeze(&body, id: id, groupId: groupId, chord: chord, rootId: rootId, groupIndex: groupIndex)
            var header = sig.chordHeader
            let headerResult = freezeGroup(&header, groupId: nil, chord: body, rootId: rootId, parentId: parentId, groupIndex: nil)
            sig.chordHeader = header
            sig.chordBody = body
            sig.taskId = headerResult.id
            return attachRoot(bodyResult, to: headerResult)
        default:
            let tid = sig.taskId ?? id ?? newId()
            sig.taskId = tid
            if let rootId { sig.options["root_id"] = .string(rootId) }
            if let parentId { sig.options["parent_id"] = .string(parentId) }
            if let groupId, sig.options["group_id"] == nil { sig.options["group_id"] = .string(groupId) }
            if let chord { sig.options["chord"] = chord.json }
            if let groupIndex { sig.options["group_index"] = .int(Int64(groupIndex)) }
            return .task(id: tid, parent: nil)
        }
    }

    /// Celery's `group._freeze_group_tasks`: the group id is `options.task_id` (or `groupId`, or
    /// new); members are flattened (nested groups unrolled) and frozen with their index.
    static func freezeGroup(
        _ g: inout Signature, groupId: String?, chord: Signature?, rootId: String?, parentId: String?, groupIndex: Int?
    ) -> ResultTuple {
        let gid = g.taskId ?? groupId ?? newId()
        g.taskId = gid
        if let groupId { g.options["group_id"] = .string(groupId) }
        if let chord { g.options["chord"] = chord.json }
        if let groupIndex { g.options["group_index"] = .int(Int64(groupIndex)) }
        let root = g.options["root_id"]?.stringValue ?? rootId
        let parent = g.options["parent_id"]?.stringValue ?? parentId
        var members = flatten(g.tasks)
        var results: [ResultTuple] = []
        for i in members.indices {
            results.append(freeze(&members[i], groupId: groupId, chord: chord, rootId: root, parentId: parent, groupIndex: i))
        }
        g.tasks = members
        return .group(id: gid, parent: nil, members: results)
    }

    /// Members with nested groups unrolled, in order.
    static func flatten(_ members: [Signature]) -> [Signature] {
        members.flatMap { $0.kind == .group ? flatten($0.tasks) : [$0] }
    }

    /// A group of one member is that member (Celery's `maybe_unroll_group`).
    static func unrollSingle(_ sig: Signature) -> Signature {
        guard sig.kind == .group else { return sig }
        let members = sig.tasks
        return members.count == 1 ? members[0] : sig
    }

    /// Celery's `chain.prepare_steps`: unpacks nested chains, turns `group | task` into a chord,
    /// freezes every step (the last one with `lastTaskId`, `groupId`, `chordBody`, `groupIndex`),
    /// adds `linkError` to every step. Returns the steps and their results **last step first**.
    static func prepareSteps(
        _ forward: [Signature], args: [JSONValue], kwargs: [String: JSONValue], rootId: String?, parentId: String?,
        linkError: [Signature], lastTaskId: String?, groupId: String?, chordBody: Signature?, groupIndex: Int?
    ) -> (steps: [Signature], results: [ResultTuple]) {
        var pending = forward
        var steps: [Signature] = []
        var results: [ResultTuple] = []
        while var task = pending.popLast() {
            let isFirst = pending.isEmpty
            task = unrollSingle(task)
            if isFirst, !args.isEmpty || !kwargs.isEmpty {
                if task.kind == .chain, !task.immutable {
                    var inner = task.tasks
                    if !inner.isEmpty { inner[0] = inner[0].merged(args: args, kwargs: kwargs, options: [:]) }
                    task.tasks = inner
                } else {
                    task = task.merged(args: args, kwargs: kwargs, options: [:])
                }
            }
            if task.kind == .chain {
                pending.append(contentsOf: task.tasks)
                continue
            }
            if task.kind == .group, let body = steps.last {
                // group | task becomes chord(group, task), keeping the task's frozen id.
                steps.removeLast()
                let bodyResult = results.removeLast()
                task = Signature.chord(task, body: body, options: ["task_id": .string(bodyResult.id)].merging(rootId.map { ["root_id": .string($0)] } ?? [:]) { a, _ in a })
            }
            let res: ResultTuple
            if steps.isEmpty {
                res = freeze(&task, id: lastTaskId, groupId: groupId, chord: chordBody, rootId: rootId, groupIndex: groupIndex)
            } else {
                res = freeze(&task, rootId: rootId)
            }
            for e in linkError { Self.linkError(&task, e) }
            steps.append(task)
            results.append(res)
        }
        return (steps, results)
    }

    /// The chain's result (its last step) with every earlier step as an ancestor.
    static func chainResult(_ lastFirst: inout [ResultTuple]) -> ResultTuple? {
        guard var acc = lastFirst.last else { return nil }
        for r in lastFirst.reversed().dropFirst() { acc = attachRoot(r, to: acc) }
        return acc
    }

    /// Sets `parent` on the oldest ancestor of `r` that has none.
    static func attachRoot(_ r: ResultTuple, to parent: ResultTuple) -> ResultTuple {
        if let p = r.parent { return r.withParent(attachRoot(p, to: parent)) }
        return r.withParent(parent)
    }

    /// Adds an errback: to a task, to each member of a group, to a chord's body, to each step of a chain.
    static func linkError(_ sig: inout Signature, _ errback: Signature) {
        switch sig.kind {
        case .group, .chain:
            // Celery gives each group member an immutable copy (so it gets no task id prepended).
            var e = errback
            if sig.kind == .group { e.immutable = true }
            var members = sig.tasks
            for i in members.indices { linkError(&members[i], e) }
            sig.tasks = members
        case .chord:
            if var body = sig.chordBody {
                linkError(&body, errback)
                sig.chordBody = body
            }
        default:
            sig.appendOption("link_error", [errback])
        }
    }
}
