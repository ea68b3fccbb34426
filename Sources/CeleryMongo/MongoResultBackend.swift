import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// The `mongodb://` result backend (libmongoc), compatible with Python Celery's MongoDB
/// backend: the same `celery_taskmeta` / `celery_groupmeta` documents, readable and
/// writable from both sides.
///
/// Writes are upserts on `_id`. A write of a state that is not ready (STARTED, PROGRESS,
/// RETRY…) is conditional on the stored state not being ready, in one server-side step, so
/// a stale write from a redelivered copy never replaces SUCCESS, FAILURE or REVOKED.
/// Blocking libmongoc calls run on a dedicated thread pool sized to the client pool.
///
/// Task results are bulk-written: those stored while a write is in flight leave together
/// in one unordered bulk write of replace-upserts (see ``MongoBackendOptions/maxBatchedWrites``).
public final class MongoResultBackend: ResultBackend {
    /// The URL with any password masked.
    public let displayURL: String
    /// The options in effect.
    public let options: MongoBackendOptions
    /// The database (URL path, default `celery`).
    public var databaseName: String { executor.pool.databaseName }

    let executor: MongoExecutor
    let codec: MongoTaskDocument
    let writer: MongoResultWriter
    let logger: Logger
    private let state = Mutex(LifeCycle())

    struct LifeCycle {
        var indexesReady = false
        var closed = false
    }

    /// Index name of the TTL index on `date_done` in both collections.
    static let ttlIndexName = "celery_date_done_ttl"
    static let readyStates: [BSONValue] = [.string("SUCCESS"), .string("FAILURE"), .string("REVOKED")]

    /// Connects lazily to `url` (`mongodb://[user:pass@]host:port[,host2…]/db?options`,
    /// passed to libmongoc unchanged; database from the path, default `celery`). Throws
    /// ``CeleryError`` (`badURL`, with the masked URL) when libmongoc rejects the URL or
    /// it asks for `w=0`. No server is contacted until the first operation.
    public init(url: String, options: MongoBackendOptions = .init(), logger: Logger = Logger(label: "celery.mongodb")) throws {
        let pool = try MongoClientPool(
            url: url, maxSize: options.connections, defaultServerSelectionTimeout: options.serverSelectionTimeout)
        self.executor = MongoExecutor(pool: pool, threads: pool.maxSize)
        self.displayURL = pool.maskedURL
        self.options = options
        self.codec = MongoTaskDocument(encoding: options.resultEncoding)
        self.logger = logger
        let wc = options.writeConcern.map { [BSONField("writeConcern", .document($0.fields(timeout: options.writeConcernTimeout)))] } ?? []
        self.writer = MongoResultWriter(
            executor: executor, collection: options.taskCollection, writeOptions: wc, maxBatch: options.maxBatchedWrites)
    }

    var indexesAreReady: Bool { state.withLock { $0.indexesReady } }
    func markIndexesReady() { state.withLock { $0.indexesReady = true } }

    deinit {
        if !state.withLock({ $0.closed }) { executor.shutdownNow() }
    }

    var writeOptions: [BSONField] {
        guard let wc = options.writeConcern else { return [] }
        return [BSONField("writeConcern", .document(wc.fields(timeout: options.writeConcernTimeout)))]
    }

    /// Upserts the task document (see the type's description) with the next bulk write;
    /// returns `false` when the stored state is ready and `meta`'s is not (the write is
    /// dropped). Throws ``CeleryError`` `tooLarge` over 16 MiB, `connection` when no server
    /// is reachable (then nothing of this write is known to be stored: store it again).
    @discardableResult
    public func store(_ meta: TaskMeta) async throws -> Bool {
        try await prepareIfNeeded()
        let fields = try codec.document(for: meta)
        return try await writer.write(.init(id: meta.taskId, ready: meta.status.isReady, fields: fields))
    }

    /// Reads a task document (one `find`); `nil` means PENDING. A document without a string
    /// `status` is a ``CeleryError`` (`decoding`).
    public func meta(for taskId: String) async throws -> TaskMeta? {
        let collection = options.taskCollection
        let codec = self.codec
        return try await executor.run { client in
            guard let d = try client.collection(collection).findOne([BSONField("_id", .string(taskId))]) else { return nil }
            return try codec.meta(from: d, id: taskId)
        }
    }

    /// Deletes a task document.
    public func forget(_ taskId: String) async throws {
        let collection = options.taskCollection
        let writeOptions = self.writeOptions
        try await executor.run { client in
            _ = try client.collection(collection).deleteOne([BSONField("_id", .string(taskId))], options: writeOptions)
        }
    }

    /// Upserts the `celery_groupmeta` document: the encoded list of member task ids.
    public func storeGroup(id: String, taskIds: [String]) async throws {
        try await prepareIfNeeded()
        let fields = try codec.groupDocument(id: id, taskIds: taskIds)
        let collection = options.groupCollection
        let writeOptions = self.writeOptions
        try await executor.run { client in
            let doc = try BSONDocument(fields)
            guard doc.byteCount <= MongoTaskDocument.maxDocumentBytes else {
                throw CeleryError(.tooLarge, "group \(id) with \(taskIds.count) members exceeds MongoDB's 16 MiB document limit")
            }
            let coll = client.collection(collection)
            for _ in 0..<2 {
                if try coll.replaceOne(filter: [BSONField("_id", .string(id))], replacement: doc, options: writeOptions) == .written {
                    return
                }
            }
            throw CeleryError(.server, "group \(id) could not be stored (duplicate key twice)")
        }
    }

    /// Reads a group's member ids; `nil` when unknown.
    public func group(id: String) async throws -> [String]? {
        let collection = options.groupCollection
        let codec = self.codec
        return try await executor.run { client in
            guard let d = try client.collection(collection).findOne([BSONField("_id", .string(id))]) else { return nil }
            return try codec.taskIds(fromGroup: d, id: id)
        }
    }

    /// Deletes a group document.
    public func forgetGroup(id: String) async throws {
        let collection = options.groupCollection
        try await executor.run { client in
            _ = try client.collection(collection).deleteOne([BSONField("_id", .string(id))])
        }
    }

    /// Round-trips a `ping` to the server; throws ``CeleryError`` (`connection`) naming the
    /// hosts when none answers within the server-selection timeout.
    public func ping() async throws {
        try await executor.run { client in _ = try client.command([BSONField("ping", .int32(1))], database: "admin") }
    }

    /// Deletes task and group documents whose `date_done` is older than `age` (Celery's
    /// `backend_cleanup`); returns how many documents were deleted. Unfinished tasks
    /// (`date_done` null) are kept.
    @discardableResult
    public func cleanup(olderThan age: Duration) async throws -> Int {
        let cutoff = Date().addingTimeInterval(-age.inSeconds)
        let names = [options.taskCollection, options.groupCollection]
        return try await executor.run { client in
            let filter = [BSONField("date_done", .document([BSONField("$lt", .date(cutoff))]))]
            return try names.reduce(0) { $0 + (try client.collection($1).deleteMany(filter)) }
        }
    }

    /// Stops the worker threads; later calls throw ``CeleryError`` (`invalidState`).
    public func close() async throws {
        let first = state.withLock { s -> Bool in
            defer { s.closed = true }
            return !s.closed
        }
        if first { try await executor.shutdown() }
    }
}
