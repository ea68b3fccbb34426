import Celery
import Logging
import RESP
import Synchronization

/// `WAIT numreplicas timeout` after each queue publish, so a publish that returns is on
/// `numreplicas` replicas as well and survives a Sentinel failover.
///
/// URL query: `wait_replicas=N` (N ≥ 1; absent = no `WAIT`, the default) and
/// `wait_timeout_ms=T` (1…60 000, default 100 ms). The `WAIT` goes out in the same
/// pipeline as the `LPUSH`, on the shared connection. When fewer than N replicas confirm
/// within T (no replica is connected, for one: right after a failover until the old master
/// comes back as a replica), the message is on the master alone: the publish still returns,
/// its receipt says `confirmed: false`, and a warning is logged (at most once every 10 s).
final class RedisReplicaWait: Sendable {
    /// Replicas that must confirm.
    let replicas: Int
    /// How long Redis waits for them, in milliseconds.
    let timeoutMilliseconds: Int
    private let lastWarning = Mutex<ContinuousClock.Instant?>(nil)
    private let shortfalls = Atomic<Int>(0)

    /// The setting of a URL's query, or `nil` without `wait_replicas`; throws ``CeleryError``
    /// (`badURL`) for a bad value.
    init?(_ configuration: RedisConfiguration, display: String) throws {
        guard let r = configuration.queryValue("wait_replicas") else {
            if configuration.queryValue("wait_timeout_ms") != nil {
                throw CeleryError(.badURL, "wait_timeout_ms in \(display) needs wait_replicas=N")
            }
            return nil
        }
        guard let n = Int(r), n >= 1 else {
            throw CeleryError(.badURL, "wait_replicas '\(r)' in \(display) is not a whole number ≥ 1")
        }
        replicas = n
        if let t = configuration.queryValue("wait_timeout_ms") {
            guard let ms = Int(t), (1...60_000).contains(ms) else {
                throw CeleryError(.badURL, "wait_timeout_ms '\(t)' in \(display) is not a whole number of milliseconds in 1…60000")
            }
            timeoutMilliseconds = ms
        } else {
            timeoutMilliseconds = 100
        }
    }

    /// The `WAIT` command.
    var command: [RESPValue] { ["WAIT", RESPValue(replicas), RESPValue(timeoutMilliseconds)] }

    /// Publishes that returned with fewer replicas than asked (since this broker started).
    var shortfallCount: Int { shortfalls.load(ordering: .relaxed) }

    /// Whether `WAIT`'s reply (the number of replicas that confirmed) reaches ``replicas``;
    /// logs the shortfall now and then. A connection-level failure was already thrown.
    func check(_ reply: RESPValue, logger: Logger) -> Bool {
        if let n = reply.int, n >= replicas { return true }
        let total = shortfalls.add(1, ordering: .relaxed).newValue
        let now = ContinuousClock.now
        let warn = lastWarning.withLock { last -> Bool in
            if let l = last, now - l < .seconds(10) { return false }
            last = now
            return true
        }
        if warn {
            logger.warning(
                "WAIT \(replicas) \(timeoutMilliseconds): only \(reply.int.map(String.init) ?? "\(reply)") replicas confirmed; the publish is on the master alone (\(total) such publishes so far)")
        }
        return false
    }
}
