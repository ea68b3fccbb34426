import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// Python Celery's own MongoDB backend (`scripts/interop/celery_mongo.py`) and ours, on the
/// same server and collections.
@Suite struct MongoInteropTests {
    @Test func weReadWhatPythonCeleryWrites() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let ok = MongoTestServer.newId()
            _ = try await PythonCelery.run(url, b, ["store", ok, "SUCCESS", #"{"sum": 7, "s": "ü🎉", "l": [1, 2.5, null]}"#])
            let meta = try #require(try await b.meta(for: ok))
            #expect(meta.status == .success)
            #expect(meta.result == ["sum": 7, "s": "ü🎉", "l": [1, 2.5, nil]])
            #expect(meta.dateDone != nil && meta.name == "tasks.add" && meta.args == [3, 4] && meta.kwargs == ["k": "v"])
            #expect(meta.worker == "py@interop" && meta.queue == "celery" && meta.retries == 0)

            let progress = MongoTestServer.newId()
            _ = try await PythonCelery.run(url, b, ["store", progress, "PROGRESS", #"{"current": 2, "total": 5}"#])
            let p = try #require(try await b.meta(for: progress))
            #expect(p.progress == ["current": 2, "total": 5] && p.dateDone == nil)

            let failed = MongoTestServer.newId()
            _ = try await PythonCelery.run(url, b, ["fail", failed, "ValueError", "bad ü"])
            let f = try #require(try await b.meta(for: failed))
            #expect(f.status == .failure)
            #expect(f.error?.type == "ValueError" && f.error?.message == "bad ü" && f.error?.module == "builtins")
            #expect(f.traceback?.contains("Traceback") == true)

            // Python's stale write after its SUCCESS is ignored by Python too; ours refuse after it.
            #expect(try await b.store(TaskMeta(taskId: ok, status: .started)) == false)

            let gid = MongoTestServer.newId()
            _ = try await PythonCelery.run(url, b, ["save_group", gid, "\(ok),\(failed)"])
            #expect(try await b.group(id: gid) == [ok, failed])
        }
    }

    @Test func pythonCeleryReadsWhatWeWrite() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let ok = MongoTestServer.newId()
            try await b.store(TaskMeta(taskId: ok, status: .success, result: ["x": [1, "ü"], "y": nil], runtime: 0.1, name: "tasks.echo", args: [1]))
            let r = try await PythonCelery.run(url, b, ["read", ok])
            #expect(r["state"] == "SUCCESS")
            #expect(r["result"] == ["x": [1, "ü"], "y": nil])
            #expect(r["date_done"]?.stringValue != nil)
            #expect(r["name"] == "tasks.echo" && r["args"] == [1])

            let seven = MongoTestServer.newId()
            try await b.store(TaskMeta(taskId: seven, status: .success, result: 7))
            #expect(try await PythonCelery.run(url, b, ["read", seven])["result"] == 7)

            let failed = MongoTestServer.newId()
            let err = TaskError(type: "ValueError", message: "boom ü", module: "builtins", traceback: "Swift trace")
            try await b.store(TaskMeta(taskId: failed, status: .failure, result: err.exceptionInfo, traceback: err.traceback))
            let f = try await PythonCelery.run(url, b, ["read", failed])
            #expect(f["state"] == "FAILURE")
            #expect(f["result"]?["exc_type"] == "ValueError")
            #expect(f["result"]?["exc_module"] == "builtins")
            #expect(f["result"]?["exc_message"] == ["boom ü"])
            #expect(f["traceback"] == "Swift trace")

            // A Swift error type Python does not know becomes a generated exception class.
            let swiftFailed = MongoTestServer.newId()
            let swiftErr = TaskError(type: "DecodingError", message: "bad input", module: "swift")
            try await b.store(TaskMeta(taskId: swiftFailed, status: .failure, result: swiftErr.exceptionInfo))
            let sf = try await PythonCelery.run(url, b, ["read", swiftFailed])
            #expect(sf["state"] == "FAILURE" && sf["result"]?["exc_type"] == "DecodingError" && sf["result"]?["exc_message"] == ["bad input"])

            let progress = MongoTestServer.newId()
            try await b.store(TaskMeta(taskId: progress, status: .progress, result: ["current": 1, "total": 4]))
            let p = try await PythonCelery.run(url, b, ["read", progress])
            #expect(p["state"] == "PROGRESS" && p["result"] == ["current": 1, "total": 4] && p["date_done"] == .null)

            let pending = try await PythonCelery.run(url, b, ["read", MongoTestServer.newId()])
            #expect(pending["state"] == "PENDING")

            let gid = MongoTestServer.newId()
            try await b.storeGroup(id: gid, taskIds: [ok, failed])
            #expect(try await PythonCelery.run(url, b, ["read_group", gid])["ids"] == [.string(ok), .string(failed)])
        }
    }
}
