import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// MongoResultBackend against the test server (`CELERY_TEST_MONGO_URL`).
@Suite struct MongoResultBackendTests {
    @Test func storesAndReadsCeleryDocuments() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let id = MongoTestServer.newId()
            #expect(try await b.meta(for: id) == nil)
            #expect(try await b.store(TaskMeta(taskId: id, status: .success, result: 7, dateStarted: Date(), runtime: 0.5)))
            let meta = try #require(try await b.meta(for: id))
            #expect(meta.status == .success && meta.result == 7 && meta.runtime == 0.5 && meta.dateDone != nil)
            let raw = try #require(try await MongoTestServer.rawDocument(b, id))
            #expect(raw[field: "result"] == .string("7"))
            #expect(raw[field: "date_done"]?.dateValue != nil)
            #expect(raw[field: "date_started"]?.dateValue != nil)
            #expect(raw[field: "children"] == .array([]))
            try await b.forget(id)
            #expect(try await b.meta(for: id) == nil)
        }
    }

    @Test func bsonEncodingStoresNativeResult() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url, encoding: .bson) { (b: MongoResultBackend) async throws -> Void in
            let id = MongoTestServer.newId()
            var deep: JSONValue = ["leaf": "ü🎉"]
            for _ in 0..<60 { deep = ["d": deep, "l": [1, 2.5, nil, true]] }
            let value: JSONValue = ["n": .int(1 << 40), "s": "日本語", "deep": deep]
            try await b.store(TaskMeta(taskId: id, status: .success, result: value))
            #expect(try await b.meta(for: id)?.result == value)
            let raw = try #require(try await MongoTestServer.rawDocument(b, id))
            guard case .document(let r)? = raw[field: "result"] else { Issue.record("not native"); return }
            #expect(r[field: "n"] == .int64(1 << 40))
        }
    }

    @Test func unicodeAndDeepValuesRoundTripAsJSONText() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            var deep: JSONValue = "\u{1F600} \u{0} \"quoted\" \\ ü"
            for i in 0..<120 { deep = i % 2 == 0 ? [deep] : ["k\(i)": deep] }
            let id = MongoTestServer.newId()
            try await b.store(TaskMeta(taskId: id, status: .success, result: deep))
            #expect(try await b.meta(for: id)?.result == deep)
        }
    }

    @Test func progressIsVisibleWhileRunning() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let id = MongoTestServer.newId()
            try await b.store(TaskMeta(taskId: id, status: .started, dateStarted: Date()))
            for step in 1...3 {
                try await b.store(TaskMeta(taskId: id, status: .progress, result: ["current": .int(Int64(step)), "total": 3]))
                let m = try #require(try await b.meta(for: id))
                #expect(m.status == .progress && m.progress == ["current": .int(Int64(step)), "total": 3] && m.dateDone == nil)
            }
            let raw = try #require(try await MongoTestServer.rawDocument(b, id))
            #expect(raw[field: "date_done"] == .null)
        }
    }

    @Test func terminalStateWinsOverStaleWrites() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let id = MongoTestServer.newId()
            #expect(try await b.store(TaskMeta(taskId: id, status: .started)))
            #expect(try await b.store(TaskMeta(taskId: id, status: .success, result: 1)))
            #expect(try await b.store(TaskMeta(taskId: id, status: .started)) == false)
            #expect(try await b.store(TaskMeta(taskId: id, status: .progress, result: ["current": 1])) == false)
            #expect(try await b.store(TaskMeta(taskId: id, status: .retry)) == false)
            #expect(try await b.meta(for: id)?.status == .success)
            // A ready state may replace a ready state (same rule as the in-memory backend).
            #expect(try await b.store(TaskMeta(taskId: id, status: .revoked)))
            #expect(try await b.meta(for: id)?.status == .revoked)
        }
    }

    @Test func manyConcurrentWritersLeaveOneDocumentWithTheTerminalState() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url, connections: 8) { (b: MongoResultBackend) async throws -> Void in
            for round in 0..<5 {
                let id = MongoTestServer.newId()
                let writes = try await withThrowingTaskGroup(of: (TaskState, Bool).self) { group in
                    for i in 0..<48 {
                        let state: TaskState = i == 20 + round ? .success : (i % 2 == 0 ? .started : .progress)
                        group.addTask {
                            (state, try await b.store(TaskMeta(taskId: id, status: state, result: state == .success ? 42 : ["current": .int(Int64(i))])))
                        }
                    }
                    return try await group.reduce(into: [(TaskState, Bool)]()) { $0.append($1) }
                }
                #expect(writes.contains { $0.0 == .success && $0.1 })
                #expect(try await b.meta(for: id)?.status == .success)
                #expect(try await b.meta(for: id)?.result == 42)
                #expect(try await b.tasks(MongoTaskQuery(limit: 1000)).filter { $0.taskId == id }.count == 1)
                // And afterwards every stale write is refused.
                #expect(try await b.store(TaskMeta(taskId: id, status: .progress)) == false)
            }
        }
    }

    @Test func groupsRoundTrip() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let gid = MongoTestServer.newId()
            #expect(try await b.group(id: gid) == nil)
            try await b.storeGroup(id: gid, taskIds: ["a", "b", "c"])
            #expect(try await b.group(id: gid) == ["a", "b", "c"])
            let raw = try #require(try await MongoTestServer.rawDocument(b, gid, group: true))
            #expect(raw[field: "result"] == .string(#"["a","b","c"]"#))
            #expect(raw[field: "date_done"]?.dateValue != nil)
            try await b.storeGroup(id: gid, taskIds: ["d"])
            #expect(try await b.group(id: gid) == ["d"])
            try await b.forgetGroup(id: gid)
            #expect(try await b.group(id: gid) == nil)
        }
    }

    @Test func waitForReadyPollsUntilDone() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let id = MongoTestServer.newId()
            let none = try await b.waitForReady(id, timeout: .milliseconds(100))
            #expect(none == nil)
            try await b.store(TaskMeta(taskId: id, status: .started))
            let clock = ContinuousClock()
            let writer = Task {
                try await Task.sleep(for: .milliseconds(150))
                try await b.store(TaskMeta(taskId: id, status: .success, result: "done"))
                return clock.now
            }
            let meta = try await b.waitForReady(id, timeout: .seconds(10))
            let returned = clock.now
            #expect(meta?.status == .success && meta?.result == "done")
            // Backoff is capped at 500 ms: the wait ends soon after the write (slack for a loaded server).
            let stored = try await writer.value
            #expect(stored.duration(to: returned) < .seconds(2))
        }
    }

    @Test func ttlIndexAndCleanup() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url, expiry: .seconds(3600)) { (b: MongoResultBackend) async throws -> Void in
            let old = MongoTestServer.newId()
            let fresh = MongoTestServer.newId()
            let running = MongoTestServer.newId()
            try await b.store(TaskMeta(taskId: old, status: .success, result: 1, dateDone: Date().addingTimeInterval(-600)))
            try await b.store(TaskMeta(taskId: fresh, status: .success, result: 2))
            try await b.store(TaskMeta(taskId: running, status: .started))
            let coll = b.options.taskCollection
            let indexes = try await b.executor.run { client in
                try client.command([BSONField("listIndexes", .string(coll))])
            }
            guard case .document(let cursor)? = indexes[field: "cursor"], case .array(let batch)? = cursor[field: "firstBatch"] else {
                Issue.record("no listIndexes cursor"); return
            }
            let ttl = batch.compactMap { v -> Int64? in
                guard case .document(let spec) = v, case .document(let key)? = spec[field: "key"], key[field: "date_done"] != nil else { return nil }
                return spec[field: "expireAfterSeconds"]?.intValue
            }
            #expect(ttl == [3600])
            #expect(try await b.cleanup(olderThan: .seconds(300)) == 1)
            #expect(try await b.meta(for: old) == nil)
            #expect(try await b.meta(for: fresh) != nil)
            #expect(try await b.meta(for: running) != nil)
        }
    }

    @Test func queriesByStateNameWindowAndRuntime() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let now = Date()
            for i in 0..<10 {
                let state: TaskState = i < 6 ? .success : (i < 9 ? .failure : .started)
                try await b.store(TaskMeta(
                    taskId: "q\(i)", status: state, result: .int(Int64(i)), dateDone: now.addingTimeInterval(-Double(i) * 60),
                    runtime: Double(i) / 10, name: i % 2 == 0 ? "tasks.add" : "tasks.mul"))
            }
            let counts = try await b.countsByState()
            #expect(counts == [.success: 6, .failure: 3, .started: 1])
            #expect(try await b.tasks(inState: .failure).map(\.taskId) == ["q6", "q7", "q8"])
            #expect(try await b.tasks(named: "tasks.mul", limit: 2).map(\.taskId) == ["q1", "q3"])
            let window = try await b.tasks(doneFrom: now.addingTimeInterval(-185), to: now.addingTimeInterval(-59))
            #expect(window.map(\.taskId) == ["q1", "q2", "q3"])
            #expect(try await b.slowestTasks(limit: 3).map(\.taskId) == ["q9", "q8", "q7"])
            let oldest = try await b.tasks(MongoTaskQuery(states: [.success, .failure], order: .oldestFirst, limit: 2))
            #expect(oldest.map(\.taskId) == ["q8", "q7"])
            // The core's ResultQuery: unfinished tasks match the window by date_started.
            try await b.store(TaskMeta(taskId: "r1", status: .started, dateStarted: now.addingTimeInterval(-90)))
            let core = try await b.tasks(matching: ResultQuery(since: now.addingTimeInterval(-150), until: now.addingTimeInterval(-30)))
            #expect(core.map(\.taskId) == ["q1", "r1", "q2"])
            #expect(try await b.tasks(matching: ResultQuery(state: .started)).map(\.taskId) == ["r1", "q9"])
            #expect(try await b.slowest(limit: 1).map(\.taskId) == ["q9"])
        }
    }

    @Test func writeConcernsFromURLAndOptions() async throws {
        guard let url = MongoTestServer.url() else { return }
        let sep = url.contains("?") ? "&" : "?"
        for (u, wc) in [(url + sep + "w=majority&journal=true", nil), (url, MongoWriteConcern.majorityJournaled), (url, .journaled), (url, .acknowledged)] as [(String, MongoWriteConcern?)] {
            let b = try MongoTestServer.backend(u, writeConcern: wc)
            let id = MongoTestServer.newId()
            #expect(try await b.store(TaskMeta(taskId: id, status: .success, result: 1)))
            #expect(try await b.meta(for: id)?.status == .success)
            try await b.close()
        }
    }

    @Test func registryBuildsTheBackendFromAURL() async throws {
        MongoBackend.register()
        #expect(TransportRegistry.backendSchemes.contains("mongodb"))
        guard let url = MongoTestServer.url() else { return }
        let b = try await TransportRegistry.backend(url: url)
        #expect(b is MongoResultBackend)
        #expect((b as? MongoResultBackend)?.databaseName == (try ConnectionURL(url)).path.split(separator: "?").first.map(String.init) ?? "celery")
        try await b.close()
    }
}
