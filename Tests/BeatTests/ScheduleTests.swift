import Foundation
import Testing

@testable import Celery

@Suite("Interval, at, durations, tick ids")
struct ScheduleTests {
    @Test func durations() {
        #expect(BeatDuration.parse("10s") == .seconds(10))
        #expect(BeatDuration.parse("5m") == .seconds(300))
        #expect(BeatDuration.parse("1h") == .seconds(3600))
        #expect(BeatDuration.parse("1h30m") == .seconds(5400))
        #expect(BeatDuration.parse("1d") == .seconds(86400))
        #expect(BeatDuration.parse("250ms") == .milliseconds(250))
        #expect(BeatDuration.parse("90") == .seconds(90))
        for bad in ["", "1x", "h", "-5s", "0s", "1h30", "s10", "1.2.3s"] {
            #expect(BeatDuration.parse(bad) == nil, "\(bad)")
        }
        #expect(BeatDuration.format(.seconds(5400)) == "1h30m")
        #expect(BeatDuration.format(.seconds(10)) == "10s")
    }

    @Test func intervalIsOnAnEpochGrid() {
        let s = BeatSchedule.interval(.seconds(10))
        #expect(s.next(after: utc("2026-11-28T00:00:03Z")) == utc("2026-11-28T00:00:10Z"))
        #expect(s.next(after: utc("2026-11-28T00:00:10Z")) == utc("2026-11-28T00:00:20Z"))
        let h = BeatSchedule.interval(.seconds(5400))
        #expect(h.upcoming(after: utc("2026-11-28T00:00:00Z"), count: 2) == [utc("2026-11-28T01:30:00Z"), utc("2026-11-28T03:00:00Z")])
    }

    @Test func atRunsOnce() {
        let s = BeatSchedule.at(utc("2026-12-01T00:00:00Z"))
        #expect(s.next(after: utc("2026-11-30T00:00:00Z")) == utc("2026-12-01T00:00:00Z"))
        #expect(s.next(after: utc("2026-12-01T00:00:00Z")) == nil)
    }

    @Test func recentTicksAreBoundedAndCheap() throws {
        let every = BeatSchedule.crontab(try Crontab("* * * * *"), timeZone: zone("UTC"))
        // A year of downtime: the latest missed tick is found without walking the year.
        let (one, leftOut) = every.recentTicks(after: utc("2025-11-28T00:00:00Z"), through: utc("2026-11-28T12:00:30Z"), limit: 1)
        #expect(one == [utc("2026-11-28T12:00:00Z")] && leftOut)
        let (some, _) = every.recentTicks(after: utc("2025-11-28T00:00:00Z"), through: utc("2026-11-28T12:00:30Z"), limit: 100)
        #expect(some.count == 100 && some.last == utc("2026-11-28T12:00:00Z") && some.first == utc("2026-11-28T10:21:00Z"))
        let (few, more) = every.recentTicks(after: utc("2026-11-28T11:57:00Z"), through: utc("2026-11-28T12:00:30Z"), limit: 100)
        #expect(few.map(BeatTick.isoString) == ["2026-11-28T11:58:00Z", "2026-11-28T11:59:00Z", "2026-11-28T12:00:00Z"] && !more)
    }

    @Test func tickIdsAreDeterministicUUIDv5() {
        // RFC 9562 / Python: uuid5(NAMESPACE_DNS, "python.org").
        let dns: [UInt8] = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]
        #expect(BeatTick.uuid5("python.org", namespace: dns) == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
        let t = BeatTick(entry: "heartbeat", time: utc("2026-11-28T00:00:10Z"))
        #expect(t.name == "heartbeat@2026-11-28T00:00:10Z")
        #expect(t.taskId == "bd0bd9b1-e5b7-537a-85d3-41a86293618c")  // Python uuid5 with our namespace
        #expect(BeatTick(entry: "heartbeat", time: utc("2026-11-28T00:00:10.25Z")).name == "heartbeat@2026-11-28T00:00:10.250Z")
    }
}
