import ArgumentParser
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// `celery-beat`: send periodic tasks from a schedule file.
///
/// `celery-beat --broker URL --schedule FILE [--state FILE] [-l level] [--max-interval S]
/// [--lock redis://…] [--dry-run [N]]`. An application embeds it as `BeatCommand.main()`
/// (call ``normalize(_:)`` on the arguments so `--dry-run` works without a count).
public struct BeatCommand: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "celery-beat",
            abstract: "Send periodic tasks (interval, crontab and one-off schedules) to queues or broadcast channels.",
            discussion: """
                Each tick is sent at most once: the state file records the last tick per entry (written \
                atomically after every send), and with --lock only the holder of a Redis lease sends. Every \
                message has a deterministic task id and a 'beat-tick: <entry>@<time>' header. SIGTERM/SIGINT \
                stop cleanly and release the lease. Exit status 0 after a clean stop, 64 for bad flags or a \
                bad schedule file, 1 when a server stays unreachable.
                """)
    }

    @OptionGroup public var connection: ConnectionOptions

    /// The schedule file.
    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("Schedule file (JSON).", valueName: "file"))
    public var schedule: String?

    /// The state file.
    @Option(name: .long, help: ArgumentHelp("State file: last run per entry.", valueName: "file"))
    public var state: String = "celerybeat-state.json"

    /// Longest sleep.
    @Option(name: .customLong("max-interval"), help: "Longest sleep between wakes, in seconds.")
    public var maxInterval: Double = 60

    /// Lease URL.
    @Option(name: .long, help: ArgumentHelp("Leader lease so only one beat sends: redis://[:password@]host:port/db, or file:///path (flock, one machine).", valueName: "url"))
    public var lock: String?

    /// Lease key.
    @Option(name: .customLong("lock-key"), help: "Redis key of the lease.")
    public var lockKey: String = "celery-beat-lease"

    /// Lease TTL.
    @Option(name: .customLong("lock-ttl"), help: "Lease time-to-live in seconds (renewed every third of it).")
    public var lockTTL: Double = 30

    /// Default catch-up policy.
    @Option(name: .customLong("catch-up"), help: "Missed ticks: none, once (default) or all (at most 100 per entry); the file's catch_up wins.")
    public var catchUp: String = "once"

    /// Dry run count.
    @Option(name: .customLong("dry-run"), help: ArgumentHelp("Print the next N run times of each entry and exit (N defaults to 5).", valueName: "N"))
    public var dryRun: Int?

    /// Memory soak.
    @Option(name: .long, help: ArgumentHelp("Drive the scheduler through N ticks on a fake clock, print RSS, exit.", valueName: "N"))
    public var soak: Int?

    /// Connect timeout.
    @Option(name: .customLong("connect-timeout"), help: "Seconds to keep retrying an unreachable broker at startup.")
    public var connectTimeout: Double = 30

    public init() {}

    /// Inserts the default count after a bare `--dry-run` (so `--dry-run` and `--dry-run 3` both work).
    public static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in arguments.enumerated() {
            out.append(a)
            if a == "--dry-run", i + 1 >= arguments.count || Int(arguments[i + 1]) == nil { out.append("5") }
        }
        return out
    }

    public func validate() throws {
        guard maxInterval > 0 else { throw ValidationError("--max-interval must be positive") }
        guard lockTTL >= 0.3 else { throw ValidationError("--lock-ttl must be at least 0.3 seconds") }
        guard CatchUpPolicy(rawValue: catchUp) != nil else { throw ValidationError("--catch-up must be none, once or all") }
        if let n = dryRun, n < 1 { throw ValidationError("--dry-run count must be at least 1") }
        if let n = soak, n < 1 { throw ValidationError("--soak count must be at least 1") }
        if soak == nil && schedule == nil { throw ValidationError("give --schedule FILE") }
        if let l = lock, !(l.hasPrefix("redis://") || l.hasPrefix("rediss://") || l.hasPrefix("file://")) {
            throw ValidationError("--lock must be a redis://, rediss:// or file:// URL")
        }
    }

    /// The scheduler options these flags describe.
    public var options: BeatOptions {
        BeatOptions(
            maxInterval: .seconds(double: maxInterval), catchUp: CatchUpPolicy(rawValue: catchUp) ?? .once,
            leaseTTL: .seconds(double: lockTTL))
    }

    public func run() async throws {
        if let n = soak {
            try await BeatSoak.run(ticks: n)
            return
        }
        let file: BeatScheduleFile
        do { file = try BeatScheduleFile(path: schedule ?? "") } catch let e as CeleryError {
            writeStandardError("celery-beat: \(e.message)\n")
            throw ExitCode(64)
        }
        var opts = options
        if let p = file.catchUp { opts.catchUp = p }
        if let n = dryRun {
            print(BeatBanner.dryRun(file: file, count: n, now: Date()))
            return
        }
        CommandSupport.bootstrapLogging(connection.level)
        let logger = Logger(label: "celery.beat")
        let app: Celery
        var lease: (any BeatLease)?
        do {
            if let l = lock {
                lease = l.hasPrefix("file://")
                    ? FileLockBeatLease(path: String(l.dropFirst("file://".count)))
                    : try TransportRegistry.lease(url: l, key: lockKey, logger: logger)
            }
            app = try await CommandSupport.connect(
                name: "beat", broker: connection.brokerURL(), backend: nil, logger: logger,
                timeout: .seconds(double: connectTimeout))
        } catch let e as CeleryError {
            writeStandardError("celery-beat: \(e.message)\n")
            throw ExitCode(e.kind == .badURL ? 64 : 1)
        }
        let scheduler: BeatScheduler
        do {
            scheduler = try BeatScheduler(
                app: app, entries: file.entries, options: opts, store: FileBeatStateStore(path: state), lease: lease,
                logger: logger)
        } catch {
            writeStandardError("celery-beat: \(error)\n")
            throw ExitCode(64)
        }
        print(BeatBanner.text(file: file, broker: app.broker.displayURL, state: state, lease: lease?.displayName, options: opts, now: Date()))
        // The group's graceful shutdown (first SIGTERM/SIGINT) stops the scheduler; a second
        // signal cancels the group.
        do {
            try await ServiceRunner.run([scheduler], logger: logger, cancelOnRepeat: true) { sig, _ in
                logger.notice("signal \(sig) received: stopping")
            }
        } catch is CancellationError {
        } catch {
            logger.error("beat: \(error)")
        }
        await lease?.close()
        try? await app.close()
    }
}
