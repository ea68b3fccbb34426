#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle

/// The periodic scheduler: sends each entry's task at its ticks, at most once per tick.
///
/// Each wake reads the wall clock, (re)checks the leader lease, sends the ticks that are
/// due — subject to the entry's ``CatchUpPolicy`` — and sleeps until the next tick, the
/// next lease renewal or ``BeatOptions/maxInterval``, whichever is first. Nothing is
/// polled minute by minute, and nothing is kept per tick: memory does not grow with time.
///
/// No tick is sent twice:
/// - a tick at or before an entry's recorded last run is never sent; the record is saved
///   (``BeatStateStore``) after every send, so this holds across restarts, and a wall clock
///   that jumps backwards only delays ticks until it has passed the last run again;
/// - with a ``BeatLease``, only the holder sends, and it stops sending before its lease can
///   have expired; a process that takes the lease over from another holder sends only ticks
///   due from the moment it took it (ticks that fell due in between are skipped rather than
///   risked twice);
/// - every message carries the tick's deterministic task id and a `beat-tick` header
///   (``BeatTick``), so consumers can drop duplicates the guarantees above cannot exclude
///   (a crash after the broker accepted a message but before the state was saved).
///
/// Run it with ``run()`` and stop it by cancelling the task: the lease is released.
public actor BeatScheduler {
    /// The entries, in the order given.
    public nonisolated let entries: [BeatEntry]
    /// The options.
    public nonisolated let options: BeatOptions
    /// This process's lease holder id (random).
    public nonisolated let holder: String
    let app: Celery
    let store: any BeatStateStore
    let lease: (any BeatLease)?
    let clock: any BeatClock
    let logger: Logger
    var state: BeatState
    var startedAt: Date?
    /// Lease: monotonic time until which sending is safe; `nil` = not holding.
    var validUntil: Duration?
    /// Lease: monotonic time of the next renewal or acquisition attempt.
    var renewAt: Duration = .zero
    /// Whether another holder was seen (or our lease lapsed) since the last acquisition.
    var sawOtherHolder = false
    /// After a takeover: only ticks at or after this are sent.
    var baseline: Date?
    /// Counters.
    public internal(set) var stats = BeatStats()

    /// Creates a scheduler; loads the state and checks that entry names are unique.
    public init(
        app: Celery, entries: [BeatEntry], options: BeatOptions = BeatOptions(),
        store: any BeatStateStore = InMemoryBeatStateStore(), lease: (any BeatLease)? = nil,
        clock: any BeatClock = SystemBeatClock(), holder: String = UUID().uuidString.lowercased(),
        logger: Logger = Logger(label: "celery.beat")
    ) throws {
        var seen = Set<String>()
        for e in entries where !seen.insert(e.name).inserted {
            throw CeleryError(.badArguments, "beat: entry name '\(e.name)' is used twice")
        }
        self.app = app
        self.entries = entries
        self.options = options
        self.store = store
        self.lease = lease
        self.clock = clock
        self.holder = holder
        self.logger = logger
        self.state = try store.load()
    }

    /// The current state (last run and count per entry).
    public var currentState: BeatState { state }

    /// Runs until the task is cancelled or, in a `ServiceGroup`, until the group shuts down
    /// gracefully; then releases the lease.
    public func run() async {
        logger.info("beat: starting with \(entries.count) entries\(lease.map { ", lease \($0.displayName)" } ?? "")")
        await cancelWhenGracefulShutdown { await self.wakeUntilCancelled() }
        await releaseLease()
        logger.info("beat: stopped (\(stats.sent) sent)")
    }

    /// Wakes and sleeps until the task is cancelled.
    func wakeUntilCancelled() async {
        while !Task.isCancelled {
            let pause = await wake()
            do { try await clock.sleep(for: pause) } catch { break }
        }
    }

    /// One wake: lease upkeep, then the due ticks. Returns how long to sleep.
    public func wake() async -> Duration {
        stats.wakes += 1
        if startedAt == nil { startedAt = clock.now() }
        await maintainLease()
        guard isLeader else {
            return min(options.maxInterval, options.leaseTTL / 3, max(.milliseconds(1), renewAt - clock.uptime()))
        }
        let now = clock.now()
        for entry in entries {
            switch await process(entry, now: now) {
            case .done: continue
            case .leaseLost: return .zero
            case .failed: return min(options.retryDelay, options.maxInterval)
            }
        }
        return pause()
    }

    /// How long to sleep: until the next tick, the next renewal or `maxInterval`.
    func pause() -> Duration {
        let now = clock.now()
        var pause = options.maxInterval
        for e in entries {
            guard let next = e.schedule.next(after: since(e)) else { continue }
            pause = min(pause, .seconds(double: max(0, next.timeIntervalSince(now))))
        }
        if lease != nil { pause = min(pause, max(.zero, renewAt - clock.uptime())) }
        return pause
    }

    /// Ticks after this instant may be sent for `entry`.
    func since(_ entry: BeatEntry) -> Date {
        var s: Date
        if let last = state.entries[entry.name]?.lastRun {
            s = last
        } else if case .at = entry.schedule {
            s = .distantPast
        } else {
            s = startedAt ?? clock.now()
        }
        if let b = baseline, s < b { s = b.addingTimeInterval(-0.000_001) }
        return s
    }

    enum Outcome { case done, leaseLost, failed }

    func process(_ entry: BeatEntry, now: Date) async -> Outcome {
        let after = since(entry)
        guard after < now else { return .done }
        let (due, leftOut) = entry.schedule.recentTicks(after: after, through: now, limit: options.catchUpLimit)
        guard let latest = due.last else { return .done }
        let policy = entry.catchUp ?? options.catchUp
        let chosen = policy.select(due, now: now, lateness: options.lateness)
        let skipped = due.count - chosen.count
        if skipped > 0 || leftOut {
            stats.skipped += skipped
            logger.notice(
                "beat: entry '\(entry.name)': \(skipped)\(leftOut ? "+" : "") missed tick(s) skipped (catch-up \(policy.rawValue)), last missed \(BeatTick.isoString(latest))")
        }
        for t in chosen {
            guard isLeader else { return .leaseLost }
            let tick = BeatTick(entry: entry.name, time: t)
            do {
                try await send(entry, tick)
            } catch {
                stats.failed += 1
                logger.error("beat: sending \(tick.name) (\(entry.task)) failed: \(error); will retry")
                return .failed
            }
            record(entry.name, t, sent: true)
        }
        if let cur = state.entries[entry.name]?.lastRun, cur >= latest { return .done }
        record(entry.name, latest, sent: false)
        return .done
    }

    func send(_ entry: BeatEntry, _ tick: BeatTick) async throws {
        var options = CallOptions(
            taskId: tick.taskId, route: entry.route, priority: entry.priority,
            headers: [BeatTick.header: .string(tick.name)])
        if let e = entry.expires { options.expires = Date().addingTimeInterval(e.seconds) }
        try await app.send(task: entry.task, args: entry.args, kwargs: entry.kwargs, options: options)
        stats.sent += 1
        logger.info("beat: sent \(entry.task)[\(tick.taskId)] tick \(tick.name) to \(app.route(for: entry.task, call: entry.route))")
    }

    func record(_ name: String, _ t: Date, sent: Bool) {
        var e = state.entries[name] ?? BeatState.EntryState(lastRun: t, runCount: 0)
        e.lastRun = t
        if sent { e.runCount += 1 }
        state.entries[name] = e
        do { try store.save(state) } catch {
            stats.stateErrors += 1
            logger.error("beat: cannot save state: \(error)")
        }
    }
}
