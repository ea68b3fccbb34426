#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The embedded `memory://` result backend. Same rules as the MongoDB one: upsert by id,
/// a ready state is never replaced by a state that is not ready. Waiting is push-based (no
/// polling). `memory://NAME` URLs in one process share one instance per NAME.
public final class InMemoryResultBackend: ResultBackend {
    struct State {
        var metas: [String: TaskMeta] = [:]
        var groups: [String: [String]] = [:]
        var waiters: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The instance name (`memory://NAME`).
    public let name: String
    public var displayURL: String { "memory://\(name)" }

    /// Creates a private instance.
    public init(name: String = "") { self.name = name }

    private static let shared = Mutex<[String: InMemoryResultBackend]>([:])

    /// The process-wide instance for `memory://NAME`.
    public static func named(_ name: String) -> InMemoryResultBackend {
        shared.withLock { table in
            if let b = table[name] { return b }
            let b = InMemoryResultBackend(name: name)
            table[name] = b
            return b
        }
    }

    @discardableResult
    public func store(_ meta: TaskMeta) async throws -> Bool {
        let (written, waiters) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard TaskMeta.mayReplace(s.metas[meta.taskId]?.status, with: meta.status) else { return (false, []) }
            s.metas[meta.taskId] = meta
            let w = s.waiters.removeValue(forKey: meta.taskId).map { Array($0.values) } ?? []
            return (true, w)
        }
        for w in waiters { w.resume() }
        return written
    }

    public func meta(for taskId: String) async throws -> TaskMeta? {
        state.withLock { $0.metas[taskId] }
    }

    public func forget(_ taskId: String) async throws {
        _ = state.withLock { $0.metas.removeValue(forKey: taskId) }
    }

    public func storeGroup(id: String, taskIds: [String]) async throws {
        state.withLock { $0.groups[id] = taskIds }
    }

    public func group(id: String) async throws -> [String]? {
        state.withLock { $0.groups[id] }
    }

    /// All stored metas (for demos and inspection).
    public func allMetas() -> [TaskMeta] { state.withLock { Array($0.metas.values) } }

    public func waitForReady(_ taskId: String, timeout: Duration) async throws -> TaskMeta? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let current = state.withLock { $0.metas[taskId] }
            if let current, current.status.isReady { return current }
            if ContinuousClock.now >= deadline { return current }
            // Wait for the next store of this id, or the deadline.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Task.sleep(until: deadline, clock: .continuous) }
                group.addTask { await self.nextStore(of: taskId) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    private func nextStore(of taskId: String) async {
        let token = state.withLock { s -> UInt64 in s.nextWaiter += 1; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if Task.isCancelled { return true }
                    if let m = s.metas[taskId], m.status.isReady { return true }
                    s.waiters[taskId, default: [:]][token] = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
                let w = s.waiters[taskId]?.removeValue(forKey: token)
                if s.waiters[taskId]?.isEmpty == true { s.waiters[taskId] = nil }
                return w
            }
            w?.resume()
        }
    }
}
