/// The result of a sent canvas: a task's (a chain's last step, a chord's body) or a group's,
/// with the results it follows (``parent``: a chain's earlier steps, a chord's header).
public struct CanvasResult: Sendable {
    /// Celery's tuple form of this result and its parents.
    public let tuple: ResultTuple
    let backend: (any ResultBackend)?

    init(_ tuple: ResultTuple, backend: (any ResultBackend)?) {
        self.tuple = tuple
        self.backend = backend
    }

    /// The task id (or group id).
    public var id: String { tuple.id }

    /// The result this one follows: the previous chain step, or a chord's header group.
    public var parent: CanvasResult? { tuple.parent.map { CanvasResult($0, backend: backend) } }

    /// This result as a group, if it is one.
    public var group: GroupResult? {
        guard case .group(let id, let p, let members) = tuple else { return nil }
        return GroupResult(
            id: id, members: members.map { CanvasResult($0, backend: backend) }, parent: p.map { CanvasResult($0, backend: backend) },
            backend: backend)
    }

    /// This result as a typed task result (for a task, a chain or a chord).
    public func task<Output: Decodable & Sendable>(as: Output.Type = JSONValue.self) -> AsyncResult<Output> {
        AsyncResult(id: id, backend: backend, receipt: nil)
    }

    /// Waits for the value: a task's value, or a group's values in order. When it failed and
    /// `followParents` (default), the error of the first failed parent is thrown instead, root
    /// first, as Celery's `get(follow_parents=True)` does (a chord whose member failed throws
    /// that member's error; the body itself holds `ChordError`).
    public func get(timeout: Duration = .seconds(60), followParents: Bool = true) async throws -> JSONValue {
        if let g = group { return .array(try await g.get(timeout: timeout)) }
        do { return try await task().get(timeout: timeout) } catch let own as TaskError {
            guard followParents, let backend else { throw own }
            var chain: [ResultTuple] = []
            var node = tuple.parent
            while let n = node {
                chain.append(n)
                node = n.parent
            }
            for p in chain.reversed() {
                for id in p.leafIds {
                    if let m = try await backend.meta(for: id), m.status == .failure || m.status == .revoked, let e = m.error { throw e }
                }
            }
            throw own
        }
    }

    /// Waits for the value and decodes it as `Output`.
    public func get<Output: Decodable & Sendable>(as type: Output.Type, timeout: Duration = .seconds(60)) async throws -> Output {
        let v = try await get(timeout: timeout, followParents: true)
        do { return try JSONCoding.convert(v, to: Output.self) } catch {
            throw CeleryError(.decoding, "result of \(id) is \(v), not a \(Output.self)")
        }
    }

    /// What the task sent when it finished (callbacks, the next chain step), read from its
    /// stored meta's `children`; empty while it is not done.
    public func children() async throws -> [CanvasResult] {
        try await task().children().map { CanvasResult($0, backend: backend) }
    }
}

extension AsyncResult {
    /// What the task sent when it finished (callbacks, the next chain step), read from its
    /// stored meta's `children` (Celery's `AsyncResult.children`).
    public func children() async throws -> [ResultTuple] {
        (try await meta()?.children ?? []).compactMap(ResultTuple.init(json:))
    }
}

extension Celery {
    /// Sends a canvas — a task signature, chain, group, chord, chunks or map — as Python's
    /// `sig.apply_async(args, kwargs, **options)` does. `args` are prepended to the first
    /// task's (unless immutable), `options` override the signature's.
    @discardableResult
    public func apply(
        _ canvas: Signature, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], options: CallOptions = CallOptions()
    ) async throws -> CanvasResult {
        var p = CanvasPublisher(app: self)
        let r = try await p.apply(canvas, args: args, kwargs: kwargs, options: options.signatureOptions)
        return CanvasResult(r, backend: backend)
    }
}
