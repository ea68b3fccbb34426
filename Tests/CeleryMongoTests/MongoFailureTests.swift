import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// Bad URLs, unreachable servers, oversized results and odd documents.
@Suite struct MongoFailureTests {
    @Test func badURLIsAClearErrorWithTheMaskedURL() throws {
        for url in ["mongodb://user:s3cret@", "mongodb://user:s3cret@host:99999/db", "mongo://user:s3cret@host/db", "mongodb://user:s3cret@host/db?w=0"] {
            do {
                _ = try MongoResultBackend(url: url)
                Issue.record("accepted \(url)")
            } catch let e as CeleryError {
                #expect(e.kind == .badURL)
                #expect(!e.description.contains("s3cret"), "password leaked: \(e)")
                #expect(e.description.contains("***"))
            }
        }
    }

    @Test func databaseComesFromThePathWithCeleryAsDefault() throws {
        #expect(try MongoResultBackend(url: "mongodb://127.0.0.1:1/results").databaseName == "results")
        #expect(try MongoResultBackend(url: "mongodb://127.0.0.1:1").databaseName == "celery")
        #expect(try MongoResultBackend(url: "mongodb://u:p@127.0.0.1:1/?authSource=admin").databaseName == "celery")
    }

    @Test func unreachableServerNamesHostAndPortWithinTheTimeout() async throws {
        let b = try MongoResultBackend(url: "mongodb://127.0.0.1:1,127.0.0.1:2/db?serverSelectionTimeoutMS=700")
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await b.store(TaskMeta(taskId: "x", status: .success, result: 1))
            Issue.record("store succeeded without a server")
        } catch let e as CeleryError {
            #expect(e.kind == .connection)
            #expect(e.message.contains("127.0.0.1:1") && e.message.contains("127.0.0.1:2"), "\(e)")
            #expect(e.message.contains("700 ms"))
        }
        do {
            _ = try await b.meta(for: "x")
            Issue.record("read succeeded without a server")
        } catch let e as CeleryError {
            #expect(e.kind == .connection)
        }
        #expect(start.duration(to: clock.now) < .seconds(60), "bounded by the server-selection timeout, not a hang")
        try await b.close()
        await #expect(throws: CeleryError.self) { try await b.meta(for: "x") }
    }

    @Test func resultsOver16MBAreTooLarge() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            let id = MongoTestServer.newId()
            let big = JSONValue.string(String(repeating: "x", count: 17 * 1024 * 1024))
            do {
                try await b.store(TaskMeta(taskId: id, status: .success, result: big))
                Issue.record("stored a 17 MB result")
            } catch let e as CeleryError {
                #expect(e.kind == .tooLarge)
                #expect(e.message.contains(id))
            }
            // The worker can then store a FAILURE instead.
            let err = TaskError(type: "ResultTooLarge", message: "result over 16 MiB", module: "swift")
            #expect(try await b.store(TaskMeta(taskId: id, status: .failure, result: err.exceptionInfo)))
            #expect(try await b.meta(for: id)?.error?.type == "ResultTooLarge")
        }
    }

    @Test func oddDocumentsDoNotCrash() async throws {
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url) { (b: MongoResultBackend) async throws -> Void in
            try await MongoTestServer.putRaw(b, [BSONField("_id", .string("nostatus")), BSONField("result", .string("1"))])
            try await MongoTestServer.putRaw(b, [BSONField("_id", .string("intstatus")), BSONField("status", .int32(3))])
            try await MongoTestServer.putRaw(b, [BSONField("_id", .string("minimal")), BSONField("status", .string("SUCCESS"))])
            try await MongoTestServer.putRaw(b, [
                BSONField("_id", .string("weird")), BSONField("status", .string("CUSTOM")), BSONField("result", .document([BSONField("a", .unsupported("regex"))])),
                BSONField("children", .string("?")), BSONField("date_done", .int64(5)), BSONField("runtime", .bool(true)),
            ])
            await #expect(throws: CeleryError.self) { try await b.meta(for: "nostatus") }
            await #expect(throws: CeleryError.self) { try await b.meta(for: "intstatus") }
            let minimal = try #require(try await b.meta(for: "minimal"))
            #expect(minimal.status == .success && minimal.result == nil && minimal.children == [])
            let weird = try #require(try await b.meta(for: "weird"))
            #expect(weird.status == "CUSTOM" && weird.result == ["a": "<regex>"] && weird.runtime == nil)
            // Queries skip what they cannot read and count what has a string status.
            #expect(Set(try await b.tasks(MongoTaskQuery()).map(\.taskId)) == ["minimal", "weird"])
            #expect(try await b.countsByState() == [.success: 1, "CUSTOM": 1])
            // Writing over an odd document works.
            #expect(try await b.store(TaskMeta(taskId: "nostatus", status: .started)))
        }
    }
}
