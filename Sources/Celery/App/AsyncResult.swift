#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A handle on a sent task's result (Celery's `AsyncResult`).
public struct AsyncResult<Output: Decodable & Sendable>: Sendable {
    /// The task id.
    public let id: String
    /// The backend results are read from; `nil` when the app has none.
    public let backend: (any ResultBackend)?
    /// What the broker said about the publish (receivers for broadcast).
    public let receipt: PublishReceipt?

    public init(id: String, backend: (any ResultBackend)?, receipt: PublishReceipt?) {
        self.id = id
        self.backend = backend
        self.receipt = receipt
    }

    private func requireBackend() throws -> any ResultBackend {
        guard let backend else {
            throw CeleryError(.invalidState, "no result backend configured: the result of \(id) is not stored")
        }
        return backend
    }

    /// The stored meta; `nil` means PENDING (unknown to the backend).
    public func meta() async throws -> TaskMeta? { try await requireBackend().meta(for: id) }

    /// The current state (PENDING when nothing is stored).
    public func state() async throws -> TaskState { try await meta()?.status ?? .pending }

    /// Whether the task reached SUCCESS, FAILURE or REVOKED.
    public func ready() async throws -> Bool { try await state().isReady }

    /// Progress meta while the task reports a custom state (PROGRESS: `{current, total}`).
    public func progress() async throws -> JSONValue? { try await meta()?.progress }

    /// Time the task ran, in seconds, once it finished (our `runtime` field).
    public func runtime() async throws -> Double? { try await meta()?.runtime }

    /// Waits for a ready state and returns the meta (any state); throws `timeout` if the
    /// task is not ready in time.
    public func wait(timeout: Duration = .seconds(60)) async throws -> TaskMeta {
        let m = try await requireBackend().waitForReady(id, timeout: timeout)
        guard let m, m.status.isReady else {
            throw CeleryError(.timeout, "task \(id) not ready after \(timeout.seconds)s (state \(m?.status.rawValue ?? "PENDING"))")
        }
        return m
    }

    /// Waits for the result and decodes it; throws the task's ``TaskError`` for FAILURE or
    /// REVOKED, `timeout` if not ready in time, `decoding` if the value is not an `Output`.
    public func get(timeout: Duration = .seconds(60)) async throws -> Output {
        let m = try await wait(timeout: timeout)
        if m.status != .success { throw m.error ?? TaskError(type: "Exception", message: "state \(m.status)", state: m.status) }
        do { return try JSONCoding.convert(m.result, to: Output.self) } catch {
            throw CeleryError(.decoding, "result of \(id) is \(m.result), not a \(Output.self)")
        }
    }

    /// Deletes the stored result.
    public func forget() async throws { try await requireBackend().forget(id) }
}
