import Celery
import Logging
import RESP

/// A ``BeatLease`` in Redis: one key whose value is the holder id, with a TTL.
///
/// - acquire: `SET <key> <holder> NX PX <ttl ms>`; when the key exists and already holds
///   `holder`, the lease is extended instead (compare-and-set script).
/// - renew: a Lua script that runs `PEXPIRE` only if the value is still `holder`.
/// - release: a Lua script that runs `DEL` only if the value is still `holder`.
///
/// Redis expires the key on its own clock; the scheduler stops sending TTL/10 before the
/// earliest moment the key can have expired, measured from when it sent the request.
/// Commands time out after TTL/3 so a stalled server cannot hold up the scheduler.
public final class RedisBeatLease: BeatLease {
    /// The key (default `celery-beat-lease`).
    public let key: String
    private let pool: RedisConnectionPool

    static let renewScript = """
        if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end
        """
    static let releaseScript = """
        if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
        """

    /// A lease at `url` (`redis://[:password@]host:port/db`, `rediss://…`) under `key`.
    /// Throws ``CeleryError`` (`badURL`) for a bad URL; connects on first use.
    public init(url: String, key: String = "celery-beat-lease", logger: Logger = Logger(label: "celery.beat.lease")) throws {
        var configuration: RedisConfiguration
        do { configuration = try RedisConfiguration(url: url) } catch let e as RESPError {
            throw CeleryError(.badURL, e.message)
        }
        configuration.connectTimeout = min(configuration.connectTimeout, .seconds(5))
        self.key = key
        self.pool = RedisConnectionPool(configuration: configuration, maxConnections: 2, logger: logger)
    }

    public var displayName: String { "\(pool.configuration.maskedURL) key \(key)" }

    private func call(_ command: [RESPValue], ttl: Duration?) async throws -> RESPValue {
        do {
            return try await pool.send(command, timeout: ttl.map { max(.milliseconds(100), $0 / 3) })
        } catch let e as RESPError {
            throw CeleryError(e.kind == .server ? .server : .connection, "lease \(displayName): \(e.message)")
        }
    }

    private static func millis(_ d: Duration) -> Int { max(1, Int((d.seconds * 1000).rounded())) }

    public func acquire(holder: String, ttl: Duration) async throws -> Bool {
        let ms = Self.millis(ttl)
        let r = try await call(["SET", RESPValue(key), RESPValue(holder), "NX", "PX", RESPValue(ms)], ttl: ttl)
        if r.string == "OK" { return true }
        return try await renew(holder: holder, ttl: ttl)
    }

    public func renew(holder: String, ttl: Duration) async throws -> Bool {
        let r = try await call(
            ["EVAL", RESPValue(Self.renewScript), "1", RESPValue(key), RESPValue(holder), RESPValue(Self.millis(ttl))], ttl: ttl)
        return (r.int ?? 0) == 1
    }

    public func release(holder: String) async throws {
        _ = try await call(["EVAL", RESPValue(Self.releaseScript), "1", RESPValue(key), RESPValue(holder)], ttl: .seconds(3))
    }

    /// Closes the connections.
    public func close() async { await pool.close() }
}
