import Celery
import Foundation
import Testing

/// One contract, every result backend.
@Suite struct BackendContractTests {
    @Test(arguments: TestServers.backends)
    func storesReadsAndForgets(url: String) async throws {
        let b = try await TestServers.backend(url)
        let id = UUID().uuidString.lowercased()
        #expect(try await b.meta(for: id) == nil)
        var meta = TaskMeta(taskId: id, status: .success, result: ["v": [1, 2.5, "ü", nil]], dateDone: Date())
        meta.dateStarted = Date().addingTimeInterval(-1)
        meta.runtime = 1.0
        meta.name = "tasks.echo"
        try await b.store(meta)
        let back = try #require(try await b.meta(for: id))
        #expect(back.status == .success)
        #expect(back.result == ["v": [1, 2.5, "ü", nil]])
        #expect(back.runtime == 1.0)
        #expect(abs((back.dateDone?.timeIntervalSince1970 ?? 0) - (meta.dateDone?.timeIntervalSince1970 ?? 1)) < 0.01)
        try await b.forget(id)
        #expect(try await b.meta(for: id) == nil)
        try await b.close()
    }

    @Test(arguments: TestServers.backends)
    func failureKeepsExceptionInfo(url: String) async throws {
        let b = try await TestServers.backend(url)
        let id = UUID().uuidString.lowercased()
        try await b.store(TaskMeta(taskId: id, status: .failure, result: TaskError(type: "ValueError", message: "bad", module: "builtins").exceptionInfo, traceback: "tb", dateDone: Date()))
        let e = try #require(try await b.meta(for: id)?.error)
        #expect(e.type == "ValueError")
        #expect(e.message == "bad")
        #expect(e.traceback == "tb")
        try await b.close()
    }

    @Test(arguments: TestServers.backends)
    func readyStateIsNeverOverwrittenByAStaleOne(url: String) async throws {
        let b = try await TestServers.backend(url)
        let id = UUID().uuidString.lowercased()
        try await b.store(TaskMeta(taskId: id, status: .started))
        try await b.store(TaskMeta(taskId: id, status: .success, result: 42, dateDone: Date()))
        let wrote = try await b.store(TaskMeta(taskId: id, status: .progress, result: ["current": 1, "total": 2]))
        #expect(!wrote)
        _ = try await b.store(TaskMeta(taskId: id, status: .started))
        #expect(try await b.meta(for: id)?.status == .success)
        #expect(try await b.meta(for: id)?.result == 42)
        try await b.close()
    }

    @Test(arguments: TestServers.backends)
    func concurrentWritersTerminalStateWins(url: String) async throws {
        let b = try await TestServers.backend(url)
        let id = UUID().uuidString.lowercased()
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<20 {
                g.addTask {
                    if i == 10 {
                        try await b.store(TaskMeta(taskId: id, status: .success, result: "done", dateDone: Date()))
                    } else {
                        try await b.store(TaskMeta(taskId: id, status: i % 2 == 0 ? .started : .progress, result: ["current": .int(Int64(i))]))
                    }
                }
            }
            try await g.waitForAll()
        }
        // Late stale writes after the terminal one.
        for _ in 0..<3 { try await b.store(TaskMeta(taskId: id, status: .started)) }
        let m = try #require(try await b.meta(for: id))
        #expect(m.status == .success)
        #expect(m.result == "done")
        try await b.close()
    }

    @Test(arguments: TestServers.backends)
    func waitReturnsWhenReadyAndTimesOutOtherwise(url: String) async throws {
        let b = try await TestServers.backend(url)
        let id = UUID().uuidString.lowercased()
        let writer = Task {
            try await Task.sleep(for: .milliseconds(200))
            try await b.store(TaskMeta(taskId: id, status: .success, result: 1, dateDone: Date()))
        }
        let m = try await b.waitForReady(id, timeout: .seconds(30))  // returns as soon as it is ready
        #expect(m?.status == .success)
        try await writer.value
        let missing = try await b.waitForReady(UUID().uuidString, timeout: .milliseconds(200))
        #expect(missing == nil)
        try await b.close()
    }

    @Test(arguments: TestServers.backends)
    func groupsStoreMemberIds(url: String) async throws {
        let b = try await TestServers.backend(url)
        let gid = UUID().uuidString.lowercased()
        try await b.storeGroup(id: gid, taskIds: ["a", "b", "c"])
        #expect(try await b.group(id: gid) == ["a", "b", "c"])
        #expect(try await b.group(id: UUID().uuidString) == nil)
        try await b.close()
    }
}
