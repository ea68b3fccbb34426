/// How ``MongoResultBackend`` stores the `result` field.
public enum MongoResultEncoding: Sendable, Hashable {
    /// The JSON text of the value, as a BSON string (Celery's default `json` result
    /// serializer: a SUCCESS of 7 is stored as `"7"`). Python Celery reads it unchanged.
    case json
    /// The value as native BSON (Celery's `bson` result serializer): queryable, but Python
    /// Celery must be configured with `result_serializer = "bson"` to read it.
    case bson
}

/// The write concern of result writes: what must have happened before a store returns.
public enum MongoWriteConcern: Sendable, Hashable {
    /// `w: 1`: the primary applied the write in memory. Lost if the primary crashes before
    /// its next journal flush (up to 100 ms by default) or fails over before replication.
    case acknowledged
    /// `w: 1, j: true`: the primary wrote it to its on-disk journal; survives a restart
    /// of that server, not the loss of its disk or a failover before replication.
    case journaled
    /// `w: "majority"`: a majority of voting members applied it; survives any failover.
    case majority
    /// `w: "majority", j: true`: a majority journaled it; the strongest promise.
    case majorityJournaled
    /// `w: n` (n ≥ 1) members applied it, optionally journaled.
    case nodes(Int, journal: Bool)
}

/// Settings of ``MongoResultBackend``; each has a documented default.
public struct MongoBackendOptions: Sendable {
    /// Encoding of `result`. Default ``MongoResultEncoding/json`` (Python Celery's default).
    public var resultEncoding: MongoResultEncoding
    /// Write concern of result writes. Default `nil`: the URL's `w`/`journal` options, or the
    /// server's default (`w: 1` on a standalone, `w: "majority"` on replica sets since 5.0).
    public var writeConcern: MongoWriteConcern?
    /// How long a write waits for its write concern (`wtimeout`). Default `nil`: no limit.
    public var writeConcernTimeout: Duration?
    /// Lifetime of finished results: a TTL index on `date_done` (`expireAfterSeconds`) created
    /// at startup. Default 1 day; `nil` creates no index (then call `cleanup(olderThan:)`).
    public var resultExpiry: Duration?
    /// Server-selection timeout when the URL has no `serverSelectionTimeoutMS`. Default 10 s.
    public var serverSelectionTimeout: Duration
    /// Connections in the client pool and threads running libmongoc calls. Default 4.
    public var connections: Int
    /// Task collection. Default `celery_taskmeta` (Celery's).
    public var taskCollection: String
    /// Group collection. Default `celery_groupmeta` (Celery's).
    public var groupCollection: String
    /// Most task results written in one bulk write. Results stored while a bulk write is in
    /// flight wait and go together in the next one (one round trip for the batch). 1 writes
    /// each result on its own. Default 1000.
    public var maxBatchedWrites: Int
    /// How chords sent by this client join. Default ``MongoChordJoin/counter``: an atomic
    /// counter on the chord's `celery_groupmeta` document, no polling; every worker running
    /// the header must be a swift-celery worker. ``MongoChordJoin/unlock`` sends Celery's
    /// `celery.chord_unlock` (for fleets with Python workers).
    public var chordJoin: MongoChordJoin = .counter

    /// Creates options; every parameter has the default described on its property.
    public init(
        resultEncoding: MongoResultEncoding = .json, writeConcern: MongoWriteConcern? = nil,
        writeConcernTimeout: Duration? = nil, resultExpiry: Duration? = .seconds(86_400),
        serverSelectionTimeout: Duration = .seconds(10), connections: Int = 4,
        taskCollection: String = "celery_taskmeta", groupCollection: String = "celery_groupmeta",
        maxBatchedWrites: Int = 1000
    ) {
        self.maxBatchedWrites = max(1, maxBatchedWrites)
        self.resultEncoding = resultEncoding
        self.writeConcern = writeConcern
        self.writeConcernTimeout = writeConcernTimeout
        self.resultExpiry = resultExpiry
        self.serverSelectionTimeout = serverSelectionTimeout
        self.connections = connections
        self.taskCollection = taskCollection
        self.groupCollection = groupCollection
    }
}

extension MongoWriteConcern {
    /// The `writeConcern` option document.
    func fields(timeout: Duration?) -> [BSONField] {
        var out: [BSONField]
        switch self {
        case .acknowledged: out = [BSONField("w", .int32(1))]
        case .journaled: out = [BSONField("w", .int32(1)), BSONField("j", .bool(true))]
        case .majority: out = [BSONField("w", .string("majority"))]
        case .majorityJournaled: out = [BSONField("w", .string("majority")), BSONField("j", .bool(true))]
        case .nodes(let n, let journal):
            out = [BSONField("w", .int32(Int32(clamping: max(1, n))))]
            if journal { out.append(BSONField("j", .bool(true))) }
        }
        if let timeout {
            out.append(BSONField("wtimeout", .int64(timeout.milliseconds)))
        }
        return out
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a double.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
