/// The results of a group, in member order (Celery's `GroupResult`).
public struct GroupResult: Sendable {
    /// The group id (the `group` header of its members).
    public let id: String
    /// The members' results, in order (a member may itself be a group).
    public let members: [CanvasResult]
    /// The result this group followed in a chain, if known.
    public let parent: CanvasResult?
    let backend: (any ResultBackend)?

    init(id: String, members: [CanvasResult], parent: CanvasResult?, backend: (any ResultBackend)?) {
        self.id = id
        self.members = members
        self.parent = parent
        self.backend = backend
    }

    /// The member task ids, in order (nested groups flattened).
    public var taskIds: [String] { members.flatMap(\.tuple.leafIds) }

    private func requireBackend() throws -> any ResultBackend {
        guard let backend else { throw CeleryError(.invalidState, "no result backend configured: group \(id) has no stored results") }
        return backend
    }

    private func metas() async throws -> [TaskMeta?] {
        let b = try requireBackend()
        var out: [TaskMeta?] = []
        for id in taskIds { out.append(try await b.meta(for: id)) }
        return out
    }

    /// How many members succeeded (Celery's `completed_count()`).
    public func completedCount() async throws -> Int { try await metas().filter { $0?.status == .success }.count }

    /// Whether every member is ready (SUCCESS, FAILURE or REVOKED).
    public func ready() async throws -> Bool { try await metas().allSatisfy { $0?.status.isReady ?? false } }

    /// Whether any member failed.
    public func failed() async throws -> Bool { try await metas().contains { $0?.status == .failure } }

    /// Whether every member succeeded.
    public func successful() async throws -> Bool { try await metas().allSatisfy { $0?.status == .success } }

    /// Waits for every member and returns their values in order; throws the first failure's
    /// ``TaskError``, or `timeout` when the whole group is not done within `timeout`.
    public func get(timeout: Duration = .seconds(60)) async throws -> [JSONValue] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var values: [JSONValue] = []
        for m in members {
            let left = max(.zero, clock.now.duration(to: deadline))
            values.append(try await m.get(timeout: left))
        }
        return values
    }

    /// Stores the member ids under the group id (Celery's `GroupResult.save()`), so
    /// ``restore(id:app:)`` (or Python's `GroupResult.restore`) finds them.
    public func save() async throws { try await requireBackend().storeGroup(id: id, taskIds: taskIds) }

    /// The saved group with this id, or `nil` when none was saved.
    public static func restore(id: String, app: Celery) async throws -> GroupResult? {
        guard let backend = app.backend else { throw CeleryError(.invalidState, "no result backend configured") }
        guard let ids = try await backend.group(id: id) else { return nil }
        return GroupResult(
            id: id, members: ids.map { CanvasResult(.task(id: $0, parent: nil), backend: backend) }, parent: nil, backend: backend)
    }

    /// Deletes the members' results.
    public func forget() async throws {
        let b = try requireBackend()
        for id in taskIds { try await b.forget(id) }
    }
}
