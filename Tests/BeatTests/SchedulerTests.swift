import Foundation
import Testing

@testable import Celery

@Suite("Scheduler on a fake clock")
struct SchedulerTests {
    let start = utc("2026-11-28T00:00:00Z")

    func heartbeat(_ policy: CatchUpPolicy? = nil) -> BeatEntry {
        BeatEntry(name: "heartbeat", task: "tasks.echo", args: ["tick"], schedule: .interval(.seconds(10)), catchUp: policy)
    }

    @Test func sendsEachTickOnceWithIdAndHeader() async throws {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start)
        let cron = BeatEntry(
            name: "midnight", task: "tasks.echo", kwargs: ["job": "warm"],
            schedule: .crontab(try Crontab("0 0 * * *"), timeZone: zone("Asia/Shanghai")), route: .queue("celery"))
        let s = try BeatScheduler(app: app, entries: [heartbeat(), cron], clock: clock, logger: quiet)
        await drive(s, clock, until: utc("2026-11-29T00:00:00Z"))
        let hb = broker.sent.filter { $0.tick.hasPrefix("heartbeat@") }
        #expect(hb.count == 8640)  // (00:00:00, 24:00:00] every 10 s
        #expect(Set(hb.map(\.id)).count == hb.count)
        #expect(hb.first?.tick == "heartbeat@2026-11-28T00:00:10Z")
        #expect(hb.first?.id == BeatTick(entry: "heartbeat", time: utc("2026-11-28T00:00:10Z")).taskId)
        let mid = broker.sent.filter { $0.tick.hasPrefix("midnight@") }
        #expect(mid.map(\.tick) == ["midnight@2026-11-28T16:00:00Z"])
        let m = try TaskMessage(mid[0].message)
        #expect(m.task == "tasks.echo" && m.kwargs == ["job": "warm"] && m.extraHeaders["beat-tick"] == "midnight@2026-11-28T16:00:00Z")
        #expect(mid[0].route == .queue("celery"))
        // Sleeps until the next due entry: about one wake per tick, not per second.
        let wakes = await s.stats.wakes
        #expect(wakes < 8640 + 1500)
        let count = await s.currentState.entries["heartbeat"]?.runCount
        #expect(count == 8640)
    }

    @Test func routesExpiresPriority() async throws {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start)
        let e = BeatEntry(
            name: "refresh", task: "tasks.echo", args: [1], schedule: .interval(.seconds(60)), route: .broadcast("cache-refresh"),
            expires: .seconds(30), priority: 7)
        let s = try BeatScheduler(app: app, entries: [e], clock: clock, logger: quiet)
        await drive(s, clock, until: start.addingTimeInterval(60))
        let sent = try #require(broker.sent.first)
        #expect(broker.sent.count == 1 && sent.route == .broadcast("cache-refresh") && sent.message.priority == 7)
        #expect(sent.message.headers["expires"]?.stringValue != nil)
    }

    @Test func restartDoesNotResendAndFileIsAtomic() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("beat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("celerybeat-state.json").path
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start)
        let s1 = try BeatScheduler(app: app, entries: [heartbeat()], store: FileBeatStateStore(path: path), clock: clock, logger: quiet)
        await drive(s1, clock, until: start.addingTimeInterval(35))
        #expect(broker.ticks.count == 3)
        // The file is complete JSON and there is no temporary left behind.
        let saved = try FileBeatStateStore(path: path).load()
        #expect(saved.entries["heartbeat"] == BeatState.EntryState(lastRun: start.addingTimeInterval(30), runCount: 3))
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        // A restart at the same moment (even with the clock set back) sends nothing again.
        clock.jumpWall(by: -25)
        let s2 = try BeatScheduler(app: app, entries: [heartbeat()], store: FileBeatStateStore(path: path), clock: clock, logger: quiet)
        await drive(s2, clock, until: start.addingTimeInterval(45))
        #expect(broker.ticks == ["heartbeat@2026-11-28T00:00:10Z", "heartbeat@2026-11-28T00:00:20Z", "heartbeat@2026-11-28T00:00:30Z",
                                 "heartbeat@2026-11-28T00:00:40Z"])
        #expect(try FileBeatStateStore(path: path).load().entries["heartbeat"]?.runCount == 4)
    }

    @Test func corruptStateFileIsAClearError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("beat-bad-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("{\"entries\": {\"x\": {\"last_run_at\": 5}}}".utf8))
        let e = #expect(throws: CeleryError.self) { _ = try FileBeatStateStore(path: path).load() }
        #expect(e?.message.contains("entry 'x': 'last_run_at' is not an ISO-8601 date") == true)
    }

    func downtime(_ policy: CatchUpPolicy, limit: Int = 100) async throws -> [String] {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start.addingTimeInterval(3600))
        let store = InMemoryBeatStateStore(BeatState(entries: ["heartbeat": .init(lastRun: start, runCount: 1)]))
        let s = try BeatScheduler(app: app, entries: [heartbeat(policy)], options: BeatOptions(catchUpLimit: limit), store: store, clock: clock, logger: quiet)
        _ = await s.wake()
        let last = await s.currentState.entries["heartbeat"]?.lastRun
        #expect(last == start.addingTimeInterval(3600))
        return broker.ticks
    }

    @Test func catchUpPolicies() async throws {
        // Down for an hour; at 01:00:00 the 01:00:00 tick is on time, the 359 before are missed.
        #expect(try await downtime(.none) == ["heartbeat@2026-11-28T01:00:00Z"])
        #expect(try await downtime(.once) == ["heartbeat@2026-11-28T01:00:00Z"])
        let all = try await downtime(.all)
        #expect(all.count == 100 && all.first == "heartbeat@2026-11-28T00:43:30Z" && all.last == "heartbeat@2026-11-28T01:00:00Z")
        #expect(try await downtime(.all, limit: 1000).count == 360)
    }

    @Test func catchUpWhenNothingIsOnTime() async throws {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: utc("2026-11-28T12:00:00Z"))
        let daily = { (p: CatchUpPolicy) in
            BeatEntry(name: "d-\(p.rawValue)", task: "t", schedule: .crontab(try! Crontab("0 0 * * *"), timeZone: zone("UTC")), catchUp: p)
        }
        let last = BeatState.EntryState(lastRun: utc("2026-11-25T00:00:00Z"), runCount: 1)
        let store = InMemoryBeatStateStore(BeatState(entries: ["d-none": last, "d-once": last, "d-all": last]))
        let s = try BeatScheduler(app: app, entries: [daily(.none), daily(.once), daily(.all)], store: store, clock: clock, logger: quiet)
        _ = await s.wake()
        #expect(broker.ticks.sorted() == [
            "d-all@2026-11-26T00:00:00Z", "d-all@2026-11-27T00:00:00Z", "d-all@2026-11-28T00:00:00Z", "d-once@2026-11-28T00:00:00Z",
        ])
        let skipped = await s.stats.skipped
        #expect(skipped == 3 + 2)
        // Nothing more on the next wake.
        _ = await s.wake()
        #expect(broker.ticks.count == 4)
    }

    @Test func wallClockJumps() async throws {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start)
        let s = try BeatScheduler(app: app, entries: [heartbeat(.once)], clock: clock, logger: quiet)
        await drive(s, clock, until: start.addingTimeInterval(30))
        #expect(broker.ticks.count == 3)
        // Backwards by 5 minutes: nothing is sent until the clock passes 00:00:30 again.
        clock.jumpWall(by: -300)
        let pause = await s.wake()
        #expect(pause <= BeatOptions().maxInterval)
        await drive(s, clock, until: start.addingTimeInterval(30))
        #expect(broker.ticks.count == 3)
        await drive(s, clock, until: start.addingTimeInterval(40))
        #expect(broker.ticks.last == "heartbeat@2026-11-28T00:00:40Z" && broker.ticks.count == 4)
        // Forwards by an hour: one catch-up send (policy once), then normal ticks.
        clock.jumpWall(by: 3600)
        _ = await s.wake()
        #expect(broker.ticks.last == "heartbeat@2026-11-28T01:00:40Z" && broker.ticks.count == 5)
        #expect(Set(broker.ticks).count == broker.ticks.count)
    }

    @Test func failedPublishIsRetriedNotLost() async throws {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start)
        let s = try BeatScheduler(app: app, entries: [heartbeat()], clock: clock, logger: quiet)
        _ = await s.wake()
        broker.setFailing(true)
        clock.advance(by: .seconds(10))
        let pause = await s.wake()
        let failed = await s.stats.failed
        #expect(broker.ticks.isEmpty && pause == .seconds(5) && failed == 1)
        broker.setFailing(false)
        clock.advance(by: pause)
        _ = await s.wake()
        #expect(broker.ticks == ["heartbeat@2026-11-28T00:00:10Z"])
    }

    @Test func oneOffAtEntry() async throws {
        let (app, broker) = recordingApp()
        let clock = ManualBeatClock(start: start)
        let e = BeatEntry(name: "launch", task: "t", schedule: .at(start.addingTimeInterval(90)))
        let s = try BeatScheduler(app: app, entries: [e], clock: clock, logger: quiet)
        await drive(s, clock, until: start.addingTimeInterval(86400))
        #expect(broker.ticks == ["launch@2026-11-28T00:01:30Z"])
    }

    @Test func duplicateEntryNamesRejected() {
        let (app, _) = recordingApp()
        #expect(throws: CeleryError.self) { _ = try BeatScheduler(app: app, entries: [heartbeat(), heartbeat()], logger: quiet) }
    }
}
