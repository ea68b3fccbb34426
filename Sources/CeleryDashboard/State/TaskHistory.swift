import Celery
import CeleryMongo
import CeleryRedis
import Foundation
import Logging
import RESP

/// A filter over tasks, for `/api/tasks` and the tasks page.
public struct TaskFilter: Sendable, Hashable {
    /// Only this state.
    public var state: String?
    /// Only this task name.
    public var name: String?
    /// Only this worker.
    public var worker: String?
    /// Only tasks whose id, args, kwargs, result or exception contain this text.
    public var text: String?
    /// Only tasks changed at or after this time.
    public var since: Date?
    /// Skip this many (newest first). Default 0.
    public var offset: Int
    /// At most this many (1…1000). Default 50.
    public var limit: Int

    /// Creates a filter; every parameter has the default described on its property.
    public init(
        state: String? = nil, name: String? = nil, worker: String? = nil, text: String? = nil, since: Date? = nil,
        offset: Int = 0, limit: Int = 50
    ) {
        self.state = state
        self.name = name
        self.worker = worker
        self.text = text
        self.since = since
        self.offset = max(0, offset)
        self.limit = min(max(1, limit), 1000)
    }

    func matches(_ t: TaskRecord) -> Bool {
        if let state, t.state != state { return false }
        if let name, t.name != name { return false }
        if let worker, t.worker != worker { return false }
        if let since, t.timestamp < since.timeIntervalSince1970 { return false }
        if let text, !text.isEmpty {
            let hay = [t.id, t.args, t.kwargs, t.result, t.exception].compactMap { $0 }
            if !hay.contains(where: { $0.localizedCaseInsensitiveContains(text) }) { return false }
        }
        return true
    }
}

/// Task history from the result backend, merged with the live ring: what survives a
/// dashboard restart. MongoDB is queried and paged by the server on the indexes the
/// dashboard creates (``MongoResultBackend/ensureHistoryIndexes()``); the memory backend
/// in memory; the Redis backend, which has no index, by a bounded `SCAN` of
/// `celery-task-meta-*` keys (at most ``redisScanLimit``).
final class TaskHistory: Sendable {
    /// Most Redis result keys read per query.
    static let redisScanLimit = 5000
    /// Most backend rows read per query when filters the backend cannot apply (worker, text) are set.
    static let wideFetch = 5000

    let backend: (any ResultBackend)?
    let redis: RedisConnectionPool?

    init(backend: (any ResultBackend)?, backendURL: String?) {
        self.backend = backend
        if backend is RedisResultBackend, let url = backendURL, let config = try? RedisConfiguration(url: url) {
            redis = RedisConnectionPool(configuration: config, maxConnections: 2)
        } else {
            redis = nil
        }
    }

    /// Where history comes from, for the page.
    var sourceDescription: String {
        switch backend {
        case nil: return "no result backend: live events only (history does not survive a restart)"
        case is MongoResultBackend: return "MongoDB result backend (\(backend!.displayURL)) merged with live events"
        case is RedisResultBackend: return "Redis result backend (\(backend!.displayURL)), scanned (at most \(Self.redisScanLimit) keys), merged with live events"
        default: return "result backend \(backend!.displayURL) merged with live events"
        }
    }

    /// Tasks matching `filter`, newest first: the live ring merged with the backend.
    func find(_ filter: TaskFilter, live: [TaskRecord]) async throws -> [TaskRecord] {
        if let mongo = backend as? MongoResultBackend { return try await findMongo(mongo, filter, live: live) }
        let wanted = filter.offset + filter.limit
        var stored: [TaskRecord] = []
        if let backend {
            let wide = filter.worker != nil || filter.text != nil
            let fetch = min(wide ? Self.wideFetch : wanted, 10_000)
            let query = ResultQuery(
                state: filter.state.map { TaskState($0) }, name: filter.name, since: filter.since, limit: fetch)
            if let q = backend as? any ResultQuerying {
                stored = try await q.tasks(matching: query).map { TaskRecord(meta: $0) }
            } else if let redis {
                stored = try await scanRedis(redis, query: query)
            }
        }
        return Self.merge(stored, live: live, filter: filter, skip: filter.offset)
    }

    /// The live ring merged with stored records, newest first, one page after `skip`.
    static func merge(_ stored: [TaskRecord], live: [TaskRecord], filter: TaskFilter, skip: Int, liveOnlyUntil: Double? = nil) -> [TaskRecord] {
        var byId: [String: TaskRecord] = [:]
        for t in stored { byId[t.id] = t }
        var merged: [TaskRecord] = []
        var seen = Set<String>()
        for var t in live {
            let s = byId[t.id]
            if let s { t.fill(from: s) }
            // With server-side paging, live tasks outside this page are left to their own page.
            if s == nil, let bound = liveOnlyUntil, t.timestamp < bound { continue }
            if filter.matches(t) { merged.append(t) }
            seen.insert(t.id)
        }
        for t in stored where !seen.contains(t.id) && filter.matches(t) { merged.append(t) }
        merged.sort { $0.timestamp > $1.timestamp }
        return Array(merged.dropFirst(skip).prefix(filter.limit))
    }

    /// MongoDB: state, name, worker and time window filtered, sorted (newest `date_done`
    /// first, on the history indexes) and paged (skip/limit) by the server, so a page costs
    /// the same with 1 000 000 results as with 1000. Only a text filter reads a wider window
    /// (at most ``wideFetch`` rows after the page's offset) and filters it here. Live tasks
    /// not stored yet (running, or their result not written) join the first page.
    private func findMongo(_ mongo: MongoResultBackend, _ filter: TaskFilter, live: [TaskRecord]) async throws -> [TaskRecord] {
        let text = filter.text.map { !$0.isEmpty } ?? false
        // No range condition for the time window: rows come newest first, so those at or
        // after `since` are exactly the leading ones, and `matches` cuts the page there. (A
        // range on `date_done` would be the same on MongoDB; nx-27017 answers it by a scan.)
        var q = MongoTaskQuery(
            states: filter.state.map { [TaskState($0)] }, name: filter.name, order: .newestFinishedFirst,
            limit: text ? Self.wideFetch : filter.limit)
        q.worker = filter.worker
        q.skip = text ? 0 : filter.offset
        let stored = try await mongo.tasks(q).map { TaskRecord(meta: $0) }
        if text { return Self.merge(stored, live: live, filter: filter, skip: filter.offset) }
        // Live records fill in stored ones; unstored live ones join the first page only.
        return Self.merge(stored, live: live, filter: filter, skip: 0, liveOnlyUntil: filter.offset == 0 ? 0 : .infinity)
    }

    /// One task from the backend (`nil` when absent or no backend).
    func lookup(_ id: String) async throws -> TaskRecord? {
        guard let backend else { return nil }
        return try await backend.meta(for: id).map { TaskRecord(meta: $0) }
    }

    /// Reads up to ``redisScanLimit`` result keys and filters them in memory.
    private func scanRedis(_ pool: RedisConnectionPool, query: ResultQuery) async throws -> [TaskRecord] {
        var cursor = "0"
        var keys: [String] = []
        repeat {
            let r = try await pool.send(["SCAN", RESPValue(cursor), "MATCH", "celery-task-meta-*", "COUNT", "1000"])
            guard let parts = r.array, parts.count == 2 else { break }
            cursor = parts[0].string ?? "0"
            keys += (parts[1].array ?? []).compactMap(\.string)
        } while cursor != "0" && keys.count < Self.redisScanLimit
        var metas: [TaskMeta] = []
        for chunk in stride(from: 0, to: min(keys.count, Self.redisScanLimit), by: 500) {
            let slice = keys[chunk..<min(chunk + 500, keys.count, Self.redisScanLimit)]
            let values = try await pool.send([RESPValue("MGET")] + slice.map { RESPValue($0) })
            for (key, v) in zip(slice, values.array ?? []) {
                guard let bytes = v.bytes, case .object(let o)? = try? JSONCoding.parse(bytes),
                    let m = try? TaskMeta(celeryJSON: o, taskId: String(key.dropFirst("celery-task-meta-".count)))
                else { continue }
                if query.matches(m) { metas.append(m) }
            }
        }
        metas.sort { ($0.dateDone ?? $0.dateStarted ?? .distantPast) > ($1.dateDone ?? $1.dateStarted ?? .distantPast) }
        return metas.prefix(query.limit).map { TaskRecord(meta: $0) }
    }

    /// Creates the MongoDB history indexes in the background (logged; a refusal is not fatal).
    func prepare(logger: Logger) -> Task<Void, Never>? {
        guard let mongo = backend as? MongoResultBackend else { return nil }
        return Task {
            let start = ContinuousClock.now
            do {
                let warnings = try await mongo.ensureHistoryIndexes()
                for w in warnings { logger.warning("history index not created: \(w); pages sort without it") }
                logger.info("history indexes ready", metadata: ["took": "\(ContinuousClock.now - start)"])
            } catch {
                logger.warning("history indexes not created: \(error)")
            }
        }
    }

    func close() async { await redis?.close() }
}
