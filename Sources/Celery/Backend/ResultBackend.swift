#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Stores task states and results. Implementations: `InMemoryResultBackend` (`memory://`),
/// `MongoResultBackend` (`mongodb://`), `RedisResultBackend` (`redis://`).
///
/// Every implementation keeps one rule: a ready state (SUCCESS, FAILURE, REVOKED) is never
/// replaced by a state that is not ready (see ``TaskMeta/mayReplace(_:with:)``).
public protocol ResultBackend: Sendable {
    /// The backend URL with any password masked.
    var displayURL: String { get }

    /// Stores a task's meta (upsert on the task id), unless that would replace a ready
    /// state with one that is not ready; returns whether it was written.
    @discardableResult
    func store(_ meta: TaskMeta) async throws -> Bool

    /// Reads a task's meta; `nil` means PENDING (unknown).
    func meta(for taskId: String) async throws -> TaskMeta?

    /// Deletes a task's meta.
    func forget(_ taskId: String) async throws

    /// Waits until the task reaches a ready state or `timeout` passes (then returns the
    /// latest meta, possibly `nil`). Default: polls ``meta(for:)`` with backoff from 5 ms
    /// to 500 ms; backends with a push channel override it.
    func waitForReady(_ taskId: String, timeout: Duration) async throws -> TaskMeta?

    /// Stores a group's member ids (Celery's `celery_groupmeta`).
    func storeGroup(id: String, taskIds: [String]) async throws

    /// Reads a group's member ids; `nil` if unknown.
    func group(id: String) async throws -> [String]?

    /// Releases connections.
    func close() async throws
}

extension ResultBackend {
    public func waitForReady(_ taskId: String, timeout: Duration) async throws -> TaskMeta? {
        try await ResultPolling.poll(timeout: timeout) { try await self.meta(for: taskId) }
    }

    public func close() async throws {}
}

/// Polling with exponential backoff, for backends without a push channel.
public enum ResultPolling {
    /// Calls `fetch` until it returns a ready meta or `timeout` passes; one query per poll,
    /// waiting 5 ms, 10 ms, 20 ms … up to `maxInterval` between polls.
    public static func poll(
        timeout: Duration, maxInterval: Duration = .milliseconds(500),
        _ fetch: () async throws -> TaskMeta?
    ) async throws -> TaskMeta? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var interval = Duration.milliseconds(5)
        while true {
            let meta = try await fetch()
            if let meta, meta.status.isReady { return meta }
            let now = clock.now
            if now >= deadline { return meta }
            let remaining = now.duration(to: deadline)
            try await Task.sleep(for: min(interval, remaining))
            interval = min(interval * 2, maxInterval)
        }
    }
}
