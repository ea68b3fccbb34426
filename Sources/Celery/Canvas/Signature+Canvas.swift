#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a signature stands for, read from Celery's `subtask_type`.
public enum SignatureKind: Sendable, Hashable {
    /// One task.
    case task
    /// `celery.chain`: `kwargs.tasks` run one after another, each result prepended to the next.
    case chain
    /// `celery.group`: `kwargs.tasks` run in parallel.
    case group
    /// `celery.chord`: `kwargs.header` (a group), then `kwargs.body` with the header's results.
    case chord
    /// `celery.chunks`: `kwargs.task` over `kwargs.it` in parts of `kwargs.n`.
    case chunks
    /// `celery.map` / `celery.starmap`: one message that runs `kwargs.task` per item inline.
    case map
}

extension Signature {
    /// The signature's kind, from `subtask_type` (and the task name for older senders).
    public var kind: SignatureKind {
        switch subtaskType {
        case "chain": return .chain
        case "group": return .group
        case "chord": return .chord
        case "chunks": return .chunks
        case "xmap", "xstarmap": return .map
        default:
            switch task {
            case "celery.chain" where kwargs["tasks"] != nil: return .chain
            case "celery.group" where kwargs["tasks"] != nil: return .group
            case "celery.chord" where kwargs["header"] != nil: return .chord
            default: return .task
            }
        }
    }

    /// Reads Celery's signature dict; throws ``CeleryError`` (`decoding`) when it is not one.
    public init(json: JSONValue) throws {
        guard case .object(let o) = json, let task = o["task"]?.stringValue else {
            throw CeleryError(.decoding, "not a Celery signature: \(PythonRepr.repr(json).prefix(200))")
        }
        self.init(
            task: task, args: o["args"]?.arrayValue ?? [], kwargs: o["kwargs"]?.objectValue ?? [:],
            options: o["options"]?.objectValue ?? [:], subtaskType: o["subtask_type"]?.stringValue,
            immutable: o["immutable"]?.boolValue ?? false)
    }

    /// Celery's signature dict: `{task, args, kwargs, options, subtask_type, immutable}`.
    public var json: JSONValue {
        [
            "task": .string(task), "args": .array(args), "kwargs": .object(kwargs), "options": .object(options),
            "subtask_type": subtaskType.map(JSONValue.string) ?? .null, "immutable": .bool(immutable),
        ]
    }

    /// The frozen task id (`options.task_id`), if any.
    public var taskId: String? {
        get { options["task_id"]?.stringValue }
        set { options["task_id"] = newValue.map(JSONValue.string) }
    }

    /// The members of a chain or group (`kwargs.tasks`); setting replaces them.
    public var tasks: [Signature] {
        get { (kwargs["tasks"]?.arrayValue ?? []).compactMap { try? Signature(json: $0) } }
        set { kwargs["tasks"] = .array(newValue.map(\.json)) }
    }

    /// A chord's header group (`kwargs.header`, a group or a list of signatures).
    public var chordHeader: Signature {
        get {
            switch kwargs["header"] {
            case .array(let items)?: return Signature.group(items.compactMap { try? Signature(json: $0) })
            case let h?: return (try? Signature(json: h)).map { $0.kind == .group ? $0 : Signature.group([$0]) } ?? Signature.group([])
            case nil: return Signature.group([])
            }
        }
        set { kwargs["header"] = newValue.json }
    }

    /// A chord's body (`kwargs.body`).
    public var chordBody: Signature? {
        get { kwargs["body"].flatMap { try? Signature(json: $0) } }
        set { kwargs["body"] = newValue?.json ?? .null }
    }

    /// Signatures in an option that holds one signature or a list (`link`, `link_error`, `chain`).
    func signatures(option name: String) -> [Signature] {
        switch options[name] {
        case .array(let items)?: return items.compactMap { try? Signature(json: $0) }
        case .object?: return (try? Signature(json: options[name]!)).map { [$0] } ?? []
        default: return []
        }
    }

    /// Appends to a list option (Celery's `extend_list_option`).
    mutating func appendOption(_ name: String, _ sigs: [Signature]) {
        guard !sigs.isEmpty else { return }
        options[name] = .array(signatures(option: name).map(\.json) + sigs.map(\.json))
    }

    /// A group signature (`celery.group`).
    public static func group(_ members: [Signature], options: [String: JSONValue] = [:]) -> Signature {
        Signature(task: "celery.group", kwargs: ["tasks": .array(members.map(\.json))], options: options, subtaskType: "group")
    }

    /// A chain signature (`celery.chain`).
    public static func chain(_ steps: [Signature], options: [String: JSONValue] = [:]) -> Signature {
        Signature(task: "celery.chain", kwargs: ["tasks": .array(steps.map(\.json))], options: options, subtaskType: "chain")
    }

    /// A chord signature (`celery.chord`): `header` then `body` with the header's results.
    public static func chord(_ header: Signature, body: Signature, options: [String: JSONValue] = [:]) -> Signature {
        let h = header.kind == .group ? header : group([header])
        return Signature(
            task: "celery.chord", kwargs: ["header": h.json, "body": body.json, "kwargs": [:]], options: options,
            subtaskType: "chord")
    }

    /// Celery's `_merge`: extra args prepended, kwargs merged (unless immutable); new options
    /// override, except `group_id` and `stamped_headers` already set.
    func merged(args extra: [JSONValue], kwargs extraKw: [String: JSONValue], options extraOpts: [String: JSONValue]) -> Signature {
        var s = self
        for (k, v) in extraOpts where !v.isNull {
            if (k == "group_id" || k == "stamped_headers"), s.options[k] != nil { continue }
            s.options[k] = v
        }
        if !immutable {
            if !extra.isEmpty { s.args = extra + s.args }
            for (k, v) in extraKw { s.kwargs[k] = v }
        }
        return s
    }

    /// How many header completions this signature contributes to a chord (Celery's `_descend`).
    var chordContribution: Int {
        switch kind {
        case .group: return tasks.reduce(0) { $0 + $1.chordContribution }
        case .chain:
            for step in tasks.reversed() {
                let n = step.chordContribution
                if n > 0 { return n }
            }
            return 0
        case .chord: return chordBody?.chordContribution ?? 0
        default: return 1
        }
    }
}
