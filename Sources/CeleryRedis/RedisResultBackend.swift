import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import Logging
import RESP

/// The `redis://` result backend, with Celery's keys: `celery-task-meta-<id>` holds the
/// task meta JSON (``TaskMeta/celeryJSON(extended:)``), set with an expiry, and published
/// on the channel of the same name after each store so waiters wake without polling.
/// `celery-taskset-meta-<id>` holds group members.
///
/// A ready state is never replaced by a state that is not ready, even with concurrent
/// writers: the check and the write are one Lua script.
public final class RedisResultBackend: ResultBackend {
    /// The URL with the password masked.
    public let displayURL: String
    /// Expiry of stored results (`SET … EX`). Default 1 day (Celery's `result_expires`);
    /// URL `?result_expires=S`; `nil` or zero = never expire.
    public let expires: Duration?
    let configuration: RedisConfiguration
    /// Opens every connection: one server, a failover list or Sentinel.
    let connector: any RedisConnector
    let pool: RedisConnectionPool
    private let logger: Logger
    private let listener: RedisResultListener

    /// Connects (one pooled connection now; failures are ``CeleryError``s naming the server).
    public init(
        url: String, expires: Duration? = .seconds(86_400), maxConnections: Int = 8,
        logger: Logger = Logger(label: "celery.redis.backend")
    ) async throws {
        let target = try RedisTarget(url: url, what: "result backend", logger: logger)
        configuration = target.configuration
        connector = target.connector
        displayURL = target.displayURL
        if let v = configuration.queryValue("result_expires") {
            guard let s = Int(v), s >= 0 else { throw CeleryError(.badURL, "result_expires '\(v)' in \(displayURL) is not a whole number of seconds") }
            self.expires = s == 0 ? nil : .seconds(s)
        } else {
            self.expires = expires
        }
        self.logger = logger
        pool = RedisConnectionPool(
            configuration: configuration, connector: connector, maxConnections: maxConnections, logger: logger)
        listener = RedisResultListener(configuration: configuration, connector: connector, logger: logger)
        let pool = self.pool
        do {
            try await mappingErrors("connecting to the result backend", displayURL) { _ = try await pool.send(["PING"]) }
        } catch {
            await connector.close()
            throw error
        }
    }

    /// Stores with the ready-state rule in one Lua script, sets the expiry, publishes on the key's channel.
    @discardableResult
    public func store(_ meta: TaskMeta) async throws -> Bool {
        try await mappingErrors("storing the result of \(meta.taskId)", displayURL) {
            let json = try JSONCoding.encode(JSONValue.object(meta.celeryJSON()))
            let ttl = expires.map { max(1, $0.components.seconds) } ?? 0
            let r = try await RedisScript.storeMeta.run(
                pool, keys: [RedisKeys.taskMeta(meta.taskId)],
                args: [RESPValue(bytes: json), RESPValue(Int(ttl)), RESPValue(meta.status.isReady ? "1" : "0")])
            return r.int == 1
        }
    }

    /// `GET celery-task-meta-<id>`; `nil` when absent (PENDING).
    public func meta(for taskId: String) async throws -> TaskMeta? {
        try await mappingErrors("reading the result of \(taskId)", displayURL) {
            try Self.decode(try await pool.send(["GET", RESPValue(RedisKeys.taskMeta(taskId))]), taskId: taskId)
        }
    }

    static func decode(_ v: RESPValue, taskId: String) throws -> TaskMeta? {
        guard let bytes = v.bytes else { return nil }
        guard case .object(let o) = try JSONCoding.parse(bytes) else {
            throw CeleryError(.decoding, "result meta of \(taskId) is not a JSON object")
        }
        return try TaskMeta(celeryJSON: o, taskId: taskId)
    }

    /// `DEL celery-task-meta-<id>`.
    public func forget(_ taskId: String) async throws {
        try await mappingErrors("forgetting \(taskId)", displayURL) {
            _ = try await pool.send(["DEL", RESPValue(RedisKeys.taskMeta(taskId))])
        }
    }

    /// Subscribes to the task's key channel (one pub/sub connection shared by all waits of
    /// this backend), then reads the key (so a store between the two is not missed), then
    /// waits for a published ready meta or the timeout. No polling. A ready meta published
    /// while the pub/sub connection is reconnecting is caught by the final read at the timeout.
    public func waitForReady(_ taskId: String, timeout: Duration) async throws -> TaskMeta? {
        try await mappingErrors("waiting for \(taskId)", displayURL) {
            let key = RedisKeys.taskMeta(taskId)
            let token = try await listener.register(key: key)
            do {
                if let m = try await meta(for: taskId), m.status.isReady {
                    await listener.release(key: key, token: token)
                    return m
                }
                // Race the push against the timeout without waiting for the loser: the
                // listener's wait is released (and so ended) by `release` below.
                let listener = self.listener
                let race = WaitRace()
                let payload: [UInt8]? = await withCheckedContinuation { (c: CheckedContinuation<[UInt8]?, Never>) in
                    let waiter = Task {
                        let p = await listener.wait(key: key, token: token)
                        if race.win() { c.resume(returning: p) }
                    }
                    race.setTimer(Task {
                        try? await Task.sleep(for: timeout)
                        if race.win() {
                            c.resume(returning: nil)
                            waiter.cancel()
                        }
                    })
                }
                await listener.release(key: key, token: token)
                if let payload, let m = try Self.decode(.bulkString(payload), taskId: taskId) { return m }
                return try await meta(for: taskId)
            } catch {
                await listener.release(key: key, token: token)
                throw error
            }
        }
    }

    /// Writes `celery-taskset-meta-<id>` in Celery's tuple form, with the result expiry.
    public func storeGroup(id: String, taskIds: [String]) async throws {
        try await mappingErrors("storing group \(id)", displayURL) {
            // Celery's GroupResult.as_tuple(): [[group_id, parent], [[[task_id, parent], null], …]]
            let members: [JSONValue] = taskIds.map { [[.string($0), .null], .null] }
            let doc: JSONValue = [
                "result": [[.string(id), .null], .array(members)],
                "status": "SUCCESS", "traceback": .null, "children": [],
                "date_done": .string(CeleryDate.format(Date())), "task_id": .string(id),
            ]
            var cmd: [RESPValue] = ["SET", RESPValue(RedisKeys.groupMeta(id)), RESPValue(bytes: try JSONCoding.encode(doc))]
            if let e = expires { cmd += ["EX", RESPValue(Int(max(1, e.components.seconds)))] }
            _ = try await pool.send(cmd)
        }
    }

    /// Reads a group's member ids (Celery's tuple form or a plain list); `nil` when absent.
    public func group(id: String) async throws -> [String]? {
        try await mappingErrors("reading group \(id)", displayURL) { () async throws -> [String]? in
            guard let bytes = try await pool.send(["GET", RESPValue(RedisKeys.groupMeta(id))]).bytes else { return nil }
            guard let result = try JSONCoding.parse(bytes)["result"] else { return nil }
            // Either Celery's tuple form or a plain list of ids.
            if case .array(let top) = result, top.count == 2, case .array(let members) = top[1], top[0].arrayValue != nil {
                return members.compactMap { m -> String? in
                    if let s = m.stringValue { return s }
                    return m.arrayValue?.first?.arrayValue?.first?.stringValue
                }
            }
            return result.arrayValue?.compactMap(\.stringValue)
        }
    }

    /// Closes the pool and the shared pub/sub connection.
    public func close() async throws {
        await listener.close()
        await pool.close()
        await connector.close()
    }
}

/// The first of a push and a timeout wins; the loser is not awaited.
final class WaitRace: Sendable {
    private let state = Mutex<(done: Bool, timer: Task<Void, Never>?)>((false, nil))

    /// True for the first caller only; cancels the timer when the push wins.
    func win() -> Bool {
        let (won, timer) = state.withLock { s -> (Bool, Task<Void, Never>?) in
            if s.done { return (false, nil) }
            s.done = true
            return (true, s.timer)
        }
        timer?.cancel()
        return won
    }

    func setTimer(_ t: Task<Void, Never>) {
        let done = state.withLock { s -> Bool in
            s.timer = t
            return s.done
        }
        if done { t.cancel() }
    }
}
