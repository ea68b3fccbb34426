import Synchronization

/// A lease inside one process, expiring on a ``BeatClock``'s monotonic time: for tests of
/// several schedulers sharing one lease.
public final class InMemoryBeatLease: BeatLease {
    private struct Held {
        var holder: String
        var expires: Duration
    }

    private let held = Mutex<Held?>(nil)
    private let clock: any BeatClock

    /// A free lease expiring on `clock`.
    public init(clock: any BeatClock = SystemBeatClock()) { self.clock = clock }

    public var displayName: String { "memory" }

    /// The current holder, if the lease is held and not expired.
    public var holder: String? {
        let now = clock.uptime()
        return held.withLock { h in h.flatMap { $0.expires > now ? $0.holder : nil } }
    }

    public func acquire(holder: String, ttl: Duration) async throws -> Bool {
        let now = clock.uptime()
        return held.withLock { h in
            if let cur = h, cur.expires > now, cur.holder != holder { return false }
            h = Held(holder: holder, expires: now + ttl)
            return true
        }
    }

    public func renew(holder: String, ttl: Duration) async throws -> Bool {
        let now = clock.uptime()
        return held.withLock { h in
            guard let cur = h, cur.expires > now, cur.holder == holder else { return false }
            h = Held(holder: holder, expires: now + ttl)
            return true
        }
    }

    public func release(holder: String) async throws {
        held.withLock { h in if h?.holder == holder { h = nil } }
    }
}
