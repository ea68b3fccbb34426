import Foundation
import Testing

@testable import Celery

@Suite("Crontab parsing and next run")
struct CrontabTests {
    func next(_ expr: String, after: String, in tz: String = "UTC") throws -> String {
        let s = BeatSchedule.crontab(try Crontab(expr), timeZone: zone(tz))
        let d = try #require(s.next(after: utc(after)))
        return BeatTick.isoString(d)
    }

    @Test func fieldsListsRangesStepsNames() throws {
        let c = try Crontab("*/15 9-17 * jan-mar,dec mon-fri")
        #expect(c.minutes.mask == (1 << 0 | 1 << 15 | 1 << 30 | 1 << 45))
        #expect((9...17).allSatisfy { c.hours.contains($0) } && !c.hours.contains(8) && !c.hours.contains(18))
        #expect([1, 2, 3, 12].allSatisfy { c.months.contains($0) } && !c.months.contains(4))
        #expect((1...5).allSatisfy { c.daysOfWeek.contains($0) } && !c.daysOfWeek.contains(0) && !c.daysOfWeek.contains(6))
        let s = try Crontab("1-10/2 0 1,15 * *")
        #expect(s.minutes.mask == (1 << 1 | 1 << 3 | 1 << 5 | 1 << 7 | 1 << 9))
        #expect(try Crontab("5/20 * * * *").minutes.mask == (1 << 5 | 1 << 25 | 1 << 45))
        #expect(try Crontab("0 0 * * 7").daysOfWeek.contains(0))  // 7 = Sunday
        #expect(try Crontab("0 0 * * 5-7").daysOfWeek.mask == (1 << 5 | 1 << 6 | 1 << 0))
        #expect(try Crontab("0 0 * * SUN").daysOfWeek.mask == 1)
        #expect(try Crontab("@daily").minutes.mask == 1)
    }

    @Test(arguments: [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "60 is out of range 0-59"),
        ("* 24 * * *", "out of range 0-23"),
        ("* * 0 * *", "out of range 1-31"),
        ("* * * 13 *", "out of range 1-12"),
        ("* * * * 8", "out of range 0-7"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("5-1 * * * *", "runs backwards"),
        ("a * * * *", "'a' is not a number"),
        ("* * * foo *", "'foo' is not a number or a name"),
        ("1,,2 * * * *", "empty list item"),
        ("0 0 30 2 *", "never matches"),
        ("0 0 31 4,6 *", "never matches"),
    ])
    func badExpressions(expr: String, message: String) {
        let e = #expect(throws: CeleryError.self) { _ = try Crontab(expr) }
        #expect(e?.message.contains(message) == true && e?.message.contains(expr) == true, "\(String(describing: e))")
    }

    @Test func nextRunUTC() throws {
        #expect(try next("0 0 * * *", after: "2026-11-27T23:59:59Z") == "2026-11-28T00:00:00Z")
        #expect(try next("0 0 * * *", after: "2026-11-28T00:00:00Z") == "2026-11-29T00:00:00Z")
        #expect(try next("*/15 * * * *", after: "2026-11-28T10:07:30Z") == "2026-11-28T10:15:00Z")
        #expect(try next("30 8 1 1 *", after: "2026-06-01T00:00:00Z") == "2027-01-01T08:30:00Z")
        #expect(try next("0 12 31 * *", after: "2026-04-01T00:00:00Z") == "2026-05-31T12:00:00Z")  // skips April
        #expect(try next("59 23 31 12 *", after: "2026-12-31T23:59:00Z") == "2027-12-31T23:59:00Z")
    }

    @Test func february29() throws {
        #expect(try next("0 0 29 2 *", after: "2025-03-01T00:00:00Z") == "2028-02-29T00:00:00Z")
        #expect(try next("0 0 29 2 *", after: "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00Z")  // 2100 is not leap
    }

    @Test func dayOfMonthOrDayOfWeek() throws {
        // Both restricted: either matches (Vixie). 2026-11-13 is a Friday; from 2026-11-14 the
        // next Friday (20th) comes before the next 13th (Dec 13).
        #expect(try next("0 0 13 * fri", after: "2026-11-14T00:00:00Z") == "2026-11-20T00:00:00Z")
        #expect(try next("0 0 13 * fri", after: "2026-12-05T00:00:00Z") == "2026-12-11T00:00:00Z")
        #expect(try next("0 0 13 * fri", after: "2026-12-11T00:00:00Z") == "2026-12-13T00:00:00Z")
        // Only day-of-week restricted (dom is *): weekdays only.
        #expect(try next("0 9 * * mon-fri", after: "2026-11-28T00:00:00Z") == "2026-11-30T09:00:00Z")  // Sat -> Mon
        // `*/2` counts as unrestricted (starts with *): day-of-week alone decides.
        #expect(try next("0 0 */2 * 1", after: "2026-11-28T00:00:00Z") == "2026-11-30T00:00:00Z")
    }

    @Test func timeZoneShanghai() throws {
        // Midnight in Shanghai is 16:00 UTC the day before.
        #expect(try next("0 0 * * *", after: "2026-11-28T10:00:00Z", in: "Asia/Shanghai") == "2026-11-28T16:00:00Z")
    }

    @Test func dstGapRunsOnceAtTransition() throws {
        // 2026-03-08 02:30 does not exist in New York (02:00 EST -> 03:00 EDT at 07:00 UTC).
        let s = BeatSchedule.crontab(try Crontab("30 2 * * *"), timeZone: zone("America/New_York"))
        let ticks = s.upcoming(after: utc("2026-03-06T12:00:00Z"), count: 4).map(BeatTick.isoString)
        #expect(ticks == ["2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"])
        // Every 15 minutes across the gap: 01:45 EST, then one run at 03:00 EDT, then 03:15.
        let q = BeatSchedule.crontab(try Crontab("*/15 * * * *"), timeZone: zone("America/New_York"))
        let qt = q.upcoming(after: utc("2026-03-08T06:40:00Z"), count: 3).map(BeatTick.isoString)
        #expect(qt == ["2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"])
    }

    @Test func dstOverlapRunsOnceAtFirstOccurrence() throws {
        // 2026-11-01 01:30 happens twice in New York: 05:30 UTC (EDT) and 06:30 UTC (EST).
        let s = BeatSchedule.crontab(try Crontab("30 1 * * *"), timeZone: zone("America/New_York"))
        let ticks = s.upcoming(after: utc("2026-10-31T00:00:00Z"), count: 3).map(BeatTick.isoString)
        #expect(ticks == ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
        // Starting inside the second 01:xx hour does not run 01:30 again.
        #expect(BeatTick.isoString(s.next(after: utc("2026-11-01T06:10:00Z"))!) == "2026-11-02T06:30:00Z")
        // Hourly: the repeated hour runs once.
        let h = BeatSchedule.crontab(try Crontab("0 * * * *"), timeZone: zone("America/New_York"))
        let ht = h.upcoming(after: utc("2026-11-01T04:30:00Z"), count: 3).map(BeatTick.isoString)
        #expect(ht == ["2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"])
    }

    @Test func nextIsFastForSparseExpressions() throws {
        let s = BeatSchedule.crontab(try Crontab("0 0 29 2 *"), timeZone: zone("Europe/Berlin"))
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            var t = utc("2026-01-01T00:00:00Z")
            for _ in 0..<50 { t = s.next(after: t)! }
        }
        #expect(elapsed < .seconds(2), "50 leap-day lookups (200 years) took \(elapsed)")
    }

    @Test func wallTimeConversions() {
        let ny = zone("America/New_York")
        #expect(LocalTime.instant(of: LocalDateTime(year: 2026, month: 3, day: 8, hour: 2, minute: 30), in: ny) == utc("2026-03-08T07:00:00Z"))
        #expect(LocalTime.instant(of: LocalDateTime(year: 2026, month: 11, day: 1, hour: 1, minute: 30), in: ny) == utc("2026-11-01T05:30:00Z"))
        #expect(LocalTime.wall(of: utc("2026-11-01T06:30:00Z"), in: ny) == LocalDateTime(year: 2026, month: 11, day: 1, hour: 1, minute: 30))
        #expect(LocalDateTime(year: 2026, month: 11, day: 28).weekday == 6)  // Saturday
        #expect(LocalDateTime(year: 2000, month: 2, day: 29).weekday == 2)  // Tuesday
    }
}
