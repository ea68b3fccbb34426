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
import Synchronization

/// `celery-beat --soak N`: drives a scheduler through N sent ticks on a ``ManualBeatClock``
/// (no real waiting) with the full send path (protocol v2 message encoding, publish), an
/// in-memory lease renewed all along and an in-memory state store, and prints the resident
/// set size (from `/proc/self/statm`) at the start and along the way. Memory must stay flat.
public enum BeatSoak {
    /// Resident set size in KiB (Linux), or `nil` where `/proc` is unavailable.
    public static func residentKiB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }

    /// Runs the soak and prints a report; returns (start KiB, end KiB).
    @discardableResult
    public static func run(ticks: Int, report: (String) -> Void = { print($0) }) async throws -> (Int, Int) {
        let broker = CountingBroker()
        let app = Celery(name: "soak", broker: broker, logger: Logger(label: "soak", factory: { _ in SwiftLogNoOpLogHandler() }))
        let clock = ManualBeatClock(start: Date(timeIntervalSince1970: 1_798_761_600))  // 2027-01-01T00:00:00Z
        let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(identifier: "UTC")!
        let entries = [
            BeatEntry(name: "heartbeat", task: "tasks.echo", args: ["tick"], schedule: .interval(.seconds(10))),
            BeatEntry(name: "every-minute", task: "tasks.echo", kwargs: ["job": "warm"],
                      schedule: .crontab(try Crontab("* * * * *"), timeZone: shanghai), route: .queue("celery")),
            BeatEntry(name: "refresh", task: "tasks.echo", args: [1], schedule: .interval(.seconds(30)), route: .broadcast("cache-refresh"),
                      expires: .seconds(60), priority: 5),
        ]
        let scheduler = try BeatScheduler(
            app: app, entries: entries, options: BeatOptions(leaseTTL: .seconds(30)), store: InMemoryBeatStateStore(),
            lease: InMemoryBeatLease(clock: clock), clock: clock,
            logger: Logger(label: "soak", factory: { _ in SwiftLogNoOpLogHandler() }))
        // Warm up (first allocations, caches), then measure.
        while await scheduler.stats.sent < min(1000, ticks) { clock.advance(by: await scheduler.wake()) }
        let start = residentKiB() ?? 0
        let began = ContinuousClock.now
        report("soak: \(ticks) ticks on a fake clock; RSS at start \(start) KiB")
        var mark = max(1, ticks / 10)
        while true {
            let sent = await scheduler.stats.sent
            if sent >= ticks { break }
            if sent >= mark {
                report("  \(sent) ticks, fake time \(BeatTick.isoString(clock.now())), RSS \(residentKiB() ?? 0) KiB")
                mark += max(1, ticks / 10)
            }
            clock.advance(by: await scheduler.wake())
        }
        let end = residentKiB() ?? 0
        let stats = await scheduler.stats
        let elapsed = ContinuousClock.now - began
        report(
            "soak: done: \(stats.sent) ticks sent (\(broker.count) publishes), \(stats.wakes) wakes, fake time \(BeatTick.isoString(clock.now())), "
                + "\(Format.fixed(elapsed.seconds, places: 1)) s real; RSS start \(start) KiB, end \(end) KiB, growth \(end - start) KiB")
        return (start, end)
    }
}

/// A broker that encodes nothing further and keeps nothing: it counts publishes.
final class CountingBroker: Broker {
    private let published = Mutex(0)
    var displayURL: String { "counting://" }
    var count: Int { published.withLock { $0 } }
    func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt {
        published.withLock { $0 += 1 }
        return PublishReceipt(receivers: route.isBroadcast ? 1 : nil)
    }
    func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer {
        throw CeleryError(.invalidState, "the soak broker does not deliver")
    }
    func purge(queue: String) async throws -> Int { 0 }
    func queueLength(_ queue: String) async throws -> Int { 0 }
    func close() async throws {}
}
