/// A task signature as it travels in a message's `embed` (callbacks, errbacks, chain, chord):
/// `{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`.
public struct Signature: Sendable, Hashable, Codable {
    /// Task name.
    public var task: String
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: [String: JSONValue]
    /// Call options (queue, countdown…), as Celery writes them.
    public var options: [String: JSONValue]
    /// Celery's `subtask_type` (`null`, `chain`, `group`, `chord`).
    public var subtaskType: String?
    /// Whether the parent's result is *not* prepended to the arguments.
    public var immutable: Bool

    public init(
        task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], options: [String: JSONValue] = [:],
        subtaskType: String? = nil, immutable: Bool = false
    ) {
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.options = options
        self.subtaskType = subtaskType
        self.immutable = immutable
    }

    enum CodingKeys: String, CodingKey {
        case task, args, kwargs, options, immutable
        case subtaskType = "subtask_type"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decode(String.self, forKey: .task)
        args = (try? c.decodeIfPresent([JSONValue].self, forKey: .args)) ?? []
        kwargs = (try? c.decodeIfPresent([String: JSONValue].self, forKey: .kwargs)) ?? [:]
        options = (try? c.decodeIfPresent([String: JSONValue].self, forKey: .options)) ?? [:]
        subtaskType = try? c.decodeIfPresent(String.self, forKey: .subtaskType)
        immutable = (try? c.decodeIfPresent(Bool.self, forKey: .immutable)) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(args, forKey: .args)
        try c.encode(kwargs, forKey: .kwargs)
        try c.encode(options, forKey: .options)
        try c.encode(subtaskType, forKey: .subtaskType)
        try c.encode(immutable, forKey: .immutable)
    }
}

/// The third element of a protocol v2 body.
public struct Embed: Sendable, Hashable, Codable {
    /// Signatures to call with the result on success.
    public var callbacks: [Signature]?
    /// Signatures to call on failure.
    public var errbacks: [Signature]?
    /// Remaining chain, stored reversed (the worker pops the last element as the next step).
    public var chain: [Signature]?
    /// Chord callback.
    public var chord: Signature?

    public init(callbacks: [Signature]? = nil, errbacks: [Signature]? = nil, chain: [Signature]? = nil, chord: Signature? = nil) {
        self.callbacks = callbacks
        self.errbacks = errbacks
        self.chain = chain
        self.chord = chord
    }

    enum CodingKeys: String, CodingKey { case callbacks, errbacks, chain, chord }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(callbacks, forKey: .callbacks)
        try c.encode(errbacks, forKey: .errbacks)
        try c.encode(chain, forKey: .chain)
        try c.encode(chord, forKey: .chord)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        callbacks = try c.decodeIfPresent([Signature].self, forKey: .callbacks)
        errbacks = try c.decodeIfPresent([Signature].self, forKey: .errbacks)
        chain = try c.decodeIfPresent([Signature].self, forKey: .chain)
        chord = try c.decodeIfPresent(Signature.self, forKey: .chord)
    }
}
