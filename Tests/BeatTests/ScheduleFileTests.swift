import Foundation
import Testing

@testable import Celery

@Suite("Schedule files")
struct ScheduleFileTests {
    static let briefExample = """
        {"timezone": "Asia/Shanghai",
         "entries": [
           {"name": "heartbeat", "task": "tasks.echo", "args": ["tick"], "every": "10s"},
           {"name": "flash-sale-cache", "task": "tasks.echo", "kwargs": {"job": "warm"}, "cron": "0 0 * * *", "queue": "celery"},
           {"name": "refresh", "task": "tasks.echo", "args": [1], "every": "1m", "broadcast": "cache-refresh"}]}
        """

    @Test func theDocumentedExample() throws {
        let f = try BeatScheduleFile(json: Array(Self.briefExample.utf8))
        #expect(f.timeZone.identifier == "Asia/Shanghai")
        #expect(f.entries.map(\.name) == ["heartbeat", "flash-sale-cache", "refresh"])
        let hb = f.entries[0], fs = f.entries[1], rf = f.entries[2]
        #expect(hb.task == "tasks.echo" && hb.args == ["tick"] && hb.schedule == .interval(.seconds(10)) && hb.route == nil)
        #expect(fs.kwargs == ["job": "warm"] && fs.route == .queue("celery"))
        #expect(fs.schedule == .crontab(try Crontab("0 0 * * *"), timeZone: zone("Asia/Shanghai")))
        #expect(fs.schedule.next(after: utc("2026-11-28T10:00:00Z")) == utc("2026-11-28T16:00:00Z"))
        #expect(rf.args == [1] && rf.schedule == .interval(.seconds(60)) && rf.route == .broadcast("cache-refresh"))
    }

    @Test func optionalFieldsAndAt() throws {
        let json = """
            {"timezone": "Asia/Shanghai", "catch_up": "all", "entries": [
              {"name": "launch", "task": "t", "at": "2026-12-12T20:00:00", "expires": 600, "priority": 5, "catch_up": "none"},
              {"name": "launch-utc", "task": "t", "at": "2026-12-12T20:00:00Z"},
              {"name": "n", "task": "t", "every": 2.5}]}
            """
        let f = try BeatScheduleFile(json: Array(json.utf8))
        #expect(f.catchUp == .all)
        #expect(f.entries[0].schedule == .at(utc("2026-12-12T12:00:00Z")))  // wall time in Shanghai
        #expect(f.entries[0].expires == .seconds(600) && f.entries[0].priority == 5 && f.entries[0].catchUp == CatchUpPolicy.none)
        #expect(f.entries[1].schedule == .at(utc("2026-12-12T20:00:00Z")))
        #expect(f.entries[2].schedule == .interval(.milliseconds(2500)))
    }

    @Test func theShippedExampleParses() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Examples/beat-schedule.json").path
        let f = try BeatScheduleFile(path: path)
        #expect(f.entries.contains { $0.name == "flash-sale-cache" && $0.schedule.description == "cron 0 0 * * * (Asia/Shanghai)" })
        #expect(f.entries.contains { $0.name == "heartbeat" && $0.schedule == .interval(.seconds(10)) })
    }

    @Test(arguments: [
        (#"{"entries": [{"name": "refresh", "task": "t", "every": "1x"}]}"#, "entry 'refresh': field 'every': '1x' is not a duration"),
        (#"{"entries": [{"name": "r", "task": "t", "every": -1}]}"#, "entry 'r': field 'every': -1 is not a duration"),
        (#"{"entries": [{"name": "c", "task": "t", "cron": "61 * * * *"}]}"#, "entry 'c': field 'cron': crontab '61 * * * *': field minute '61'"),
        (#"{"entries": [{"name": "a", "task": "t", "at": "tomorrow"}]}"#, "entry 'a': field 'at': \"tomorrow\" is not an ISO-8601 date"),
        (#"{"entries": [{"name": "x", "task": "t"}]}"#, "entry 'x': needs one of 'every', 'cron' or 'at'"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "cron": "* * * * *"}]}"#, "entry 'x': give only one of 'every', 'cron'"),
        (#"{"entries": [{"name": "x", "every": "1s"}]}"#, "entry 'x': field 'task': missing"),
        (#"{"entries": [{"task": "t", "every": "1s"}]}"#, "entry #1: field 'name'"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "evry": 1}]}"#, "entry 'x': unknown field 'evry'"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "queue": "q", "broadcast": "b"}]}"#, "entry 'x': give 'queue' or 'broadcast', not both"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "priority": 300}]}"#, "entry 'x': field 'priority': 300 is not an integer 0-255"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "expires": "soon"}]}"#, "entry 'x': field 'expires'"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "args": {"a": 1}}]}"#, "entry 'x': field 'args'"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s", "catch_up": "some"}]}"#, "entry 'x': field 'catch_up': \"some\" is not a catch-up policy"),
        (#"{"entries": [{"name": "x", "task": "t", "every": "1s"}, {"name": "x", "task": "t", "every": "2s"}]}"#, "entry 'x': the name is used twice"),
        (#"{"timezone": "Mars/Olympus", "entries": []}"#, "field 'timezone': \"Mars/Olympus\" is not an IANA time zone"),
        (#"{"entries": {}}"#, "field 'entries' must be an array"),
        (#"{"entries": [], "tz": "UTC"}"#, "unknown top-level field 'tz'"),
        (#"{"entries": [{"name": "x", "#, "not valid JSON"),
        (#"[1, 2]"#, "the top level must be an object"),
    ])
    func errorsNameEntryAndField(json: String, message: String) {
        let e = #expect(throws: CeleryError.self) { _ = try BeatScheduleFile(json: Array(json.utf8)) }
        #expect(e?.message.contains(message) == true, "got: \(String(describing: e))")
    }

    @Test func missingFileIsAnError() {
        #expect(throws: CeleryError.self) { _ = try BeatScheduleFile(path: "/nonexistent/beat.json") }
    }
}
