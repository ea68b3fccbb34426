import Celery
import Foundation
import RESP
import Testing

@testable import CeleryRedis

@Suite struct RedisResultBackendTests {
    @Test func storesCeleryCompatibleMetaWithExpiry() async throws {
        guard let url = try TestRedis.url() else { return }
        let backend = try await RedisResultBackend(url: url)
        let raw = try await RESPTestClient(url)
        let id = TestRedis.unique("task")
        #expect(try await backend.meta(for: id) == nil)
        let done = Date(timeIntervalSince1970: 1_800_000_000.25)
        #expect(try await backend.store(TaskMeta(taskId: id, status: .success, result: 7, dateDone: done, name: "tasks.add")))
        let json = try JSONCoding.parse(try #require(try await raw.send(["GET", RESPValue("celery-task-meta-\(id)")]).bytes))
        #expect(json["status"]?.stringValue == "SUCCESS")
        #expect(json["result"] == .int(7))
        #expect(json["task_id"]?.stringValue == id)
        #expect(json["traceback"] == .null)
        #expect(json["children"] == .array([]))
        #expect(json["date_done"]?.stringValue == "2027-01-15T08:00:00.250000+00:00")
        let ttl = try await raw.send(["TTL", RESPValue("celery-task-meta-\(id)")]).int ?? -1
        #expect(ttl > 86_000 && ttl <= 86_400)
        let back = try #require(try await backend.meta(for: id))
        #expect(back.status == .success && back.result == .int(7) && back.dateDone == done)
        try await backend.forget(id)
        #expect(try await backend.meta(for: id) == nil)
        try await backend.close()
    }

    @Test func readyStateIsNeverOverwrittenEvenByConcurrentWriters() async throws {
        guard let url = try TestRedis.url() else { return }
        let backend = try await RedisResultBackend(url: url)
        let id = TestRedis.unique("race")
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<60 {
                g.addTask {
                    let state: TaskState = i == 30 ? .success : (i % 2 == 0 ? .started : .progress)
                    try await backend.store(TaskMeta(taskId: id, status: state, result: .int(Int64(i))))
                }
            }
            try await g.waitForAll()
        }
        let m = try #require(try await backend.meta(for: id))
        #expect(m.status == .success && m.result == .int(30))
        #expect(try await backend.store(TaskMeta(taskId: id, status: .started)) == false)
        #expect(try await backend.store(TaskMeta(taskId: id, status: .failure, result: "late")) == true)
        #expect(try await backend.meta(for: id)?.status == .failure)
        try await backend.forget(id)
        try await backend.close()
    }

    @Test func waitForReadyIsWokenByThePublishAndTimesOut() async throws {
        guard let url = try TestRedis.url() else { return }
        let backend = try await RedisResultBackend(url: url)
        let id = TestRedis.unique("wait")
        let writer = Task {
            try await Task.sleep(for: .milliseconds(300))
            try await backend.store(TaskMeta(taskId: id, status: .started))
            try await Task.sleep(for: .milliseconds(100))
            try await backend.store(TaskMeta(taskId: id, status: .success, result: "done", dateDone: Date()))
        }
        let start = ContinuousClock.now
        let m = try await backend.waitForReady(id, timeout: .seconds(10))
        #expect(m?.status == .success && m?.result == "done")
        #expect(ContinuousClock.now - start < .seconds(9))  // woken by the publish, well before the 10 s timeout
        try await writer.value
        // Already ready: returns at once.
        #expect(try await backend.waitForReady(id, timeout: .seconds(10))?.status == .success)
        // Never stored: returns nil after the timeout.
        let t0 = ContinuousClock.now
        #expect(try await backend.waitForReady(id + "-none", timeout: .milliseconds(300)) == nil)
        #expect(ContinuousClock.now - t0 >= .milliseconds(300))
        try await backend.forget(id)
        try await backend.close()
    }

    @Test func manyWaitersShareOneSubscription() async throws {
        guard let url = try TestRedis.url() else { return }
        let backend = try await RedisResultBackend(url: url)
        let raw = try await RESPTestClient(url)
        let ids = (0..<5).map { _ in TestRedis.unique("many") }
        let results = try await withThrowingTaskGroup(of: TaskMeta?.self) { g in
            for id in ids { for _ in 0..<10 { g.addTask { try await backend.waitForReady(id, timeout: .seconds(20)) } } }
            // All 50 waits are registered before the stores: one subscriber per key, not per wait.
            var subscribed = false
            for _ in 0..<200 where !subscribed {
                let n = try await raw.send(["PUBSUB", "NUMSUB"] + ids.map { RESPValue("celery-task-meta-\($0)") }).array ?? []
                subscribed = stride(from: 1, to: n.count, by: 2).allSatisfy { n[$0].int == 1 }
                if !subscribed { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(subscribed)
            for id in ids {
                try await backend.store(TaskMeta(taskId: id, status: .progress, result: ["current": 1]))
                try await backend.store(TaskMeta(taskId: id, status: .success, result: .string(id), dateDone: Date()))
            }
            var out: [TaskMeta?] = []
            for try await r in g { out.append(r) }
            return out
        }
        #expect(results.count == 50)
        #expect(results.allSatisfy { $0?.status == .success && $0?.result.stringValue == $0?.taskId })
        let after = try await raw.send(["PUBSUB", "NUMSUB", RESPValue("celery-task-meta-\(ids[0])")]).array
        #expect(after?.last?.int == 0 || after?.last?.int == 1)  // unsubscribed (asynchronously) once nobody waits
        for id in ids { try await backend.forget(id) }
        try await backend.close()
    }

    @Test func groupsRoundTripInCeleryTupleForm() async throws {
        guard let url = try TestRedis.url() else { return }
        let backend = try await RedisResultBackend(url: url)
        let raw = try await RESPTestClient(url)
        let gid = TestRedis.unique("group")
        try await backend.storeGroup(id: gid, taskIds: ["a", "b", "c"])
        #expect(try await backend.group(id: gid) == ["a", "b", "c"])
        #expect(try await backend.group(id: gid + "-none") == nil)
        let doc = try JSONCoding.parse(try #require(try await raw.send(["GET", RESPValue("celery-taskset-meta-\(gid)")]).bytes))
        #expect(doc["result"] == [[.string(gid), nil], [[["a", nil], nil], [["b", nil], nil], [["c", nil], nil]]])
        try await raw.send(["DEL", RESPValue("celery-taskset-meta-\(gid)")])
        try await backend.close()
    }

    @Test func registryBuildsTheBackend() async throws {
        guard let url = try TestRedis.url() else { return }
        RedisTransport.register()
        #expect(TransportRegistry.backendSchemes.contains("redis") && TransportRegistry.backendSchemes.contains("rediss"))
        #expect(TransportRegistry.brokerSchemes.contains("rediss"))
        let b = try await TransportRegistry.backend(url: url)
        #expect(b is RedisResultBackend)
        try await b.close()
    }
}
