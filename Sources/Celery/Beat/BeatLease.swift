/// A leader lease: at most one beat process holds it at a time, so only one sends.
///
/// The holder acquires with a time-to-live, renews every TTL/3 and releases on a clean
/// stop. A holder that cannot renew stops sending before its lease can have expired
/// (``BeatScheduler`` measures validity from the moment it *sent* the acquire or renew
/// request, on a monotonic clock, minus a margin of TTL/10), so two holders never overlap.
///
/// Implementations: ``InMemoryBeatLease`` (one process; tests), `RedisBeatLease`
/// (`SET key holder NX PX ttl`, renew and release by compare-and-set scripts).
public protocol BeatLease: Sendable {
    /// Where the lease lives, for logs (passwords masked).
    var displayName: String { get }
    /// Takes the lease for `holder` if it is free or already `holder`'s; returns whether
    /// `holder` now holds it.
    func acquire(holder: String, ttl: Duration) async throws -> Bool
    /// Extends the lease if `holder` still holds it; returns `false` when it does not.
    func renew(holder: String, ttl: Duration) async throws -> Bool
    /// Gives the lease up if `holder` holds it (no effect otherwise).
    func release(holder: String) async throws
    /// Closes the lease's connections once the scheduler is done with it (default: nothing).
    func close() async
}

extension BeatLease {
    /// Nothing to close.
    public func close() async {}
}
