import ArgumentParser
import Celery
import CeleryCommands
import Foundation
import Testing

@Suite("celery-beat command")
struct CommandTests {
    @Test func dryRunCountIsOptional() {
        #expect(BeatCommand.normalize(["--schedule", "f.json", "--dry-run"]) == ["--schedule", "f.json", "--dry-run", "5"])
        #expect(BeatCommand.normalize(["--dry-run", "-l", "debug"]) == ["--dry-run", "5", "-l", "debug"])
        #expect(BeatCommand.normalize(["--dry-run", "3"]) == ["--dry-run", "3"])
    }

    @Test func parsesFlags() throws {
        let c = try BeatCommand.parse(
            BeatCommand.normalize(["--broker", "memory://", "--schedule", "s.json", "--max-interval", "5", "--lock",
                                   "redis://127.0.0.1:6379/0", "--catch-up", "all", "--dry-run"]))
        #expect(c.schedule == "s.json" && c.state == "celerybeat-state.json" && c.dryRun == 5)
        #expect(c.options.maxInterval == .seconds(5) && c.options.catchUp == .all && c.options.leaseTTL == .seconds(30))
    }

    @Test(arguments: [
        ["--max-interval", "0", "--schedule", "s"],
        ["--catch-up", "sometimes", "--schedule", "s"],
        ["--lock", "mongodb://x", "--schedule", "s"],
        ["--dry-run", "0", "--schedule", "s"],
        ["--broker", "memory://"],  // no schedule
    ])
    func rejectsBadFlags(args: [String]) {
        #expect(throws: (any Error).self) { _ = try BeatCommand.parse(args) }
    }

    @Test func dryRunListsTimesInTheScheduleZone() throws {
        let file = try BeatScheduleFile(json: Array(ScheduleFileTests.briefExample.utf8))
        let out = BeatBanner.dryRun(file: file, count: 2, now: utc("2026-11-28T15:59:55Z"))
        #expect(out.contains("flash-sale-cache: tasks.echo -> queue:celery, cron 0 0 * * * (Asia/Shanghai)"))
        #expect(out.contains("  2026-11-29 00:00:00 +08:00  \(BeatTick(entry: "flash-sale-cache", time: utc("2026-11-28T16:00:00Z")).taskId)"))
        #expect(out.contains("  2026-11-30 00:00:00 +08:00"))
        #expect(out.contains("refresh: tasks.echo -> broadcast:cache-refresh, every 1m"))
        #expect(out.contains("  2026-11-28 23:59:58 +08:00") == false)
        #expect(out.contains("  2026-11-29 00:00:00 +08:00  \(BeatTick(entry: "heartbeat", time: utc("2026-11-28T16:00:00Z")).taskId)"))
        let banner = BeatBanner.text(
            file: file, broker: "redis://:***@h:6379/0", state: "st.json", lease: nil, options: BeatOptions(),
            now: utc("2026-11-28T15:59:55Z"))
        #expect(banner.contains("heartbeat") && banner.contains("next 2026-11-28 23:59:59 +08:00") == false)
        #expect(banner.contains("next 2026-11-29 00:00:00 +08:00") && banner.contains("redis://:***@h:6379/0"))
        #expect(BeatBanner.format(utc("2026-03-08T07:00:00Z"), in: zone("America/New_York")) == "2026-03-08 03:00:00 -04:00")
    }
}
