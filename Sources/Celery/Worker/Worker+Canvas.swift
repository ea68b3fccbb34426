#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// What a worker does for a task's canvas, as Celery's worker does (`celery/app/trace.py` and
/// the backends' `mark_as_*`): follow-ups on success, chord bookkeeping and failure
/// propagation once the outcome is stored.
extension Worker {
    /// On success, before the result is stored: sends the callbacks (`link`), then the next
    /// chain step (`embed.chain`'s last element, with the rest of the chain, its frozen id, this
    /// task as parent and this task's root). Returns what was sent, in Celery's tuple form, for
    /// the stored meta's `children`.
    func sendFollowUps(of m: TaskMessage, result: JSONValue, log: Logger) async -> [JSONValue] {
        // Most tasks have neither: nothing to allocate on the hot path.
        guard !(m.embed.callbacks ?? []).isEmpty || !(m.embed.chain ?? []).isEmpty else { return [] }
        let rootId = m.rootId ?? m.id
        var p = CanvasPublisher(app: app, parent: (m.id, rootId))
        let parentOptions: [String: JSONValue] = ["parent_id": .string(m.id), "root_id": .string(rootId)]
        let callbacks = m.embed.callbacks ?? []
        do {
            if callbacks.count > 1 {
                // Celery: each group callback on its own, the other callbacks as one group.
                let groups = callbacks.filter { $0.kind == .group }
                let others = callbacks.filter { $0.kind != .group }
                for g in groups { try await p.apply(g, args: [result], options: parentOptions) }
                if !others.isEmpty { try await p.apply(Signature.group(others), args: [result], options: parentOptions) }
            } else if let cb = callbacks.first {
                try await p.apply(cb, args: [result], options: parentOptions)
            }
        } catch {
            log.error("could not send callbacks: \(error)")
        }
        if var chain = m.embed.chain, let next = chain.popLast() {
            var o = parentOptions
            o["chain"] = .array(chain.map(\.json))
            do { try await p.apply(next, args: [result], options: o) } catch {
                log.error("could not send the next chain step \(next.task): \(error)")
            }
        }
        return p.children.map(\.json)
    }

    /// After a ready outcome is stored (also when results are ignored): a chord member is
    /// counted by a backend with a native join (the last one sends the body); a FAILURE is
    /// stored for every remaining chain step and the errbacks are sent old-style (failed id
    /// first). RETRY never gets here.
    func settleCanvas(of m: TaskMessage, meta: TaskMeta, log: Logger) async {
        guard meta.status.isReady, m.embed.chord != nil || (meta.status == .failure && m.embed != Embed()) else { return }
        let rootId = m.rootId ?? m.id
        if let body = m.embed.chord, let gid = m.group {
            await ChordCompletion.partReturned(
                app: app, groupId: gid, taskId: m.id, groupIndex: m.groupIndex, state: meta.status, result: meta.result, body: body,
                parent: (m.id, rootId), logger: log)
        }
        guard meta.status == .failure else { return }
        if let chain = m.embed.chain, !chain.isEmpty {
            await ChordCompletion.failChain(app: app, chain: chain, info: meta.result, traceback: meta.traceback, logger: log)
        }
        if let errbacks = m.embed.errbacks, !errbacks.isEmpty {
            await ChordCompletion.sendErrbacks(app: app, errbacks: errbacks, failedId: m.id, rootId: rootId, logger: log)
        }
    }
}
