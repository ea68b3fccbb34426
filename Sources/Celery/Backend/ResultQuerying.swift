#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A filter over stored results, for the admin CLI and the demos.
public struct ResultQuery: Sendable, Hashable {
    /// Only this state.
    public var state: TaskState?
    /// Only this task name (needs extended results).
    public var name: String?
    /// Finished (or, for unfinished tasks, started) at or after this time.
    public var since: Date?
    /// Finished before this time.
    public var until: Date?
    /// At most this many results, newest first. Default 50.
    public var limit: Int

    public init(state: TaskState? = nil, name: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 50) {
        self.state = state
        self.name = name
        self.since = since
        self.until = until
        self.limit = limit
    }

    /// Whether a meta passes the filter (for backends that filter in memory).
    public func matches(_ m: TaskMeta) -> Bool {
        if let state, m.status != state { return false }
        if let name, m.name != name { return false }
        let t = m.dateDone ?? m.dateStarted
        if let since, (t ?? .distantPast) < since { return false }
        if let until, (t ?? .distantFuture) >= until { return false }
        return true
    }
}

/// Result backends that can be searched (memory, MongoDB).
public protocol ResultQuerying: ResultBackend {
    /// Results matching a query, newest first.
    func tasks(matching query: ResultQuery) async throws -> [TaskMeta]
    /// How many stored results are in each state.
    func countsByState() async throws -> [TaskState: Int]
    /// The finished tasks that ran longest, slowest first.
    func slowest(limit: Int) async throws -> [TaskMeta]
}

extension InMemoryResultBackend: ResultQuerying {
    public func tasks(matching query: ResultQuery) async throws -> [TaskMeta] {
        let all = allMetas().filter(query.matches)
        let sorted = all.sorted { ($0.dateDone ?? $0.dateStarted ?? .distantPast) > ($1.dateDone ?? $1.dateStarted ?? .distantPast) }
        return Array(sorted.prefix(query.limit))
    }

    public func countsByState() async throws -> [TaskState: Int] {
        allMetas().reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    public func slowest(limit: Int) async throws -> [TaskMeta] {
        Array(allMetas().filter { $0.runtime != nil }.sorted { $0.runtime! > $1.runtime! }.prefix(limit))
    }
}
