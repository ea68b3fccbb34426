/// A result's identity as Celery serialises it (`as_tuple()`), used in a task's stored
/// `children`, in `celery.chord_unlock`'s `result` and in saved groups:
/// a task is `[[id, parent], null]`, a group `[[group_id, parent], [member, …]]`.
public indirect enum ResultTuple: Sendable, Hashable {
    /// One task, with the result it was chained after (if known).
    case task(id: String, parent: ResultTuple?)
    /// A group, with its members in order.
    case group(id: String, parent: ResultTuple?, members: [ResultTuple])

    /// The task or group id.
    public var id: String {
        switch self {
        case .task(let id, _), .group(let id, _, _): return id
        }
    }

    /// The result this one follows in a chain, if known.
    public var parent: ResultTuple? {
        switch self {
        case .task(_, let p), .group(_, let p, _): return p
        }
    }

    /// The same result with another parent.
    func withParent(_ p: ResultTuple?) -> ResultTuple {
        switch self {
        case .task(let id, _): return .task(id: id, parent: p)
        case .group(let id, _, let m): return .group(id: id, parent: p, members: m)
        }
    }

    /// Every task id below this result, in order (a task is itself).
    public var leafIds: [String] {
        switch self {
        case .task(let id, _): return [id]
        case .group(_, _, let m): return m.flatMap(\.leafIds)
        }
    }

    /// Celery's tuple form.
    public var json: JSONValue {
        switch self {
        case .task(let id, let p): return [[.string(id), p?.json ?? .null], .null]
        case .group(let id, let p, let m): return [[.string(id), p?.json ?? .null], .array(m.map(\.json))]
        }
    }

    /// Reads Celery's tuple form (also a bare id string); `nil` for anything else.
    public init?(json: JSONValue) {
        if let s = json.stringValue {
            self = .task(id: s, parent: nil)
            return
        }
        guard case .array(let pair) = json, pair.count == 2, case .array(let head) = pair[0], let id = head.first?.stringValue
        else { return nil }
        let parent = head.count > 1 && !head[1].isNull ? ResultTuple(json: head[1]) : nil
        if case .array(let members) = pair[1] {
            self = .group(id: id, parent: parent, members: members.compactMap(ResultTuple.init(json:)))
        } else {
            self = .task(id: id, parent: parent)
        }
    }
}
