import Celery
@testable import CeleryDashboard
import Foundation
import Testing

/// The live state from events: bounded memory, worker grace, event order.
struct ClusterStateTests {
    func event(_ type: String, _ id: String, _ ts: Double, _ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var e: [String: JSONValue] = ["type": .string(type), "uuid": .string(id), "hostname": "w@h", "timestamp": .double(ts)]
        for (k, v) in extra { e[k] = v }
        return e
    }

    @Test func keepsAtMostTheLimitOfTasks() {
        let s = ClusterState(taskLimit: 100)
        for i in 0..<1000 {
            s.apply(event("task-received", "t\(i)", Double(i), ["name": "tasks.add"]))
            s.apply(event("task-succeeded", "t\(i)", Double(i) + 0.5, ["runtime": .double(0.01 * Double(i % 10))]))
        }
        #expect(s.taskCount == 100)
        #expect(s.task("t0") == nil)
        #expect(s.task("t999")?.state == "SUCCESS")
        #expect(s.recentTasks.first?.id == "t999")
        // Counters and runtimes count every task seen, kept or not.
        #expect(s.countsByName["tasks.add"]?["SUCCESS"] == 1000)
        #expect(s.runtimes["tasks.add"]?.count == 1000)
        #expect(s.runtimes["tasks.add"]?.samples.count == min(1000, RuntimeStats.sampleLimit))
    }

    @Test func aLateStartedEventDoesNotHideSuccess() {
        let s = ClusterState()
        s.apply(event("task-succeeded", "a", 10, ["result": "3"]))
        s.apply(event("task-started", "a", 9))
        #expect(s.task("a")?.state == "SUCCESS")
        #expect(s.task("a")?.started == 9)
    }

    @Test func workersStayOnlineThroughTheGraceAndGoOfflineAfter() {
        let s = ClusterState(workerGrace: .seconds(10))
        s.apply(["type": "worker-heartbeat", "hostname": "w@h", "timestamp": 100, "freq": 2, "active": 1, "processed": 7])
        let w = s.workers[0]
        #expect(w.processed == 7)
        #expect(s.isOnline(w, now: 105))
        #expect(s.isOnline(w, now: 110))
        #expect(!s.isOnline(w, now: 111))
        // A slow heartbeat (freq 5) gets three intervals.
        s.apply(["type": "worker-heartbeat", "hostname": "w@h", "timestamp": 200, "freq": 5])
        #expect(s.isOnline(s.workers[0], now: 214))
        s.apply(["type": "worker-offline", "hostname": "w@h", "timestamp": 201])
        #expect(!s.isOnline(s.workers[0], now: 201))
    }

    @Test func percentilesAndSeries() {
        var r = RuntimeStats()
        for i in 1...100 { r.add(Double(i) / 100) }
        #expect(r.quantile(0.5) == 0.5)
        #expect(r.quantile(0.99) == 0.99)
        #expect(r.bucketCounts[RuntimeStats.buckets.firstIndex(of: 0.5)!] == 50)
        var t = ThroughputSeries()
        t.add(at: 1000.2, failed: false)
        t.add(at: 1000.7, failed: true)
        t.add(at: 1000.9, failed: false)
        let w = t.window(now: 1001)
        #expect(w.count == 3600)
        #expect(w.first { $0.0 == 1000 }.map { $0.1 == 2 && $0.2 == 1 } == true)
        // 3600 s later the slot is reused, not double-counted.
        t.add(at: 4600.1, failed: false)
        #expect(t.window(now: 4600).last!.1 == 1)
    }
}
