import Celery
import CeleryTestSupport
import Foundation
import Testing

@testable import CeleryMongo

/// The test server (`nx-27017`, started by `scripts/services/mongo.sh`), from
/// `CELERY_TEST_MONGO_URL`. Unset: a recorded failure under `CI`, otherwise `nil` (skip).
enum MongoTestServer {
    static func url(sourceLocation: SourceLocation = #_sourceLocation) -> String? { LiveServers.mongo(sourceLocation: sourceLocation) }

    /// A backend on private collections (`t_<uuid>`, `g_<uuid>`), so tests do not interfere.
    static func backend(
        _ url: String, encoding: MongoResultEncoding = .json, writeConcern: MongoWriteConcern? = nil,
        expiry: Duration? = .seconds(86_400), connections: Int = 4
    ) throws -> MongoResultBackend {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return try MongoResultBackend(
            url: url,
            options: MongoBackendOptions(
                resultEncoding: encoding, writeConcern: writeConcern, resultExpiry: expiry,
                serverSelectionTimeout: .seconds(3), connections: connections,
                taskCollection: "t_\(suffix)", groupCollection: "g_\(suffix)"))
    }

    /// Runs `body` with a fresh backend on private collections, then drops them and closes
    /// the backend, also when `body` throws.
    static func withBackend(
        _ url: String, encoding: MongoResultEncoding = .json, writeConcern: MongoWriteConcern? = nil,
        expiry: Duration? = .seconds(86_400), connections: Int = 4,
        _ body: (MongoResultBackend) async throws -> Void
    ) async throws {
        let b = try backend(url, encoding: encoding, writeConcern: writeConcern, expiry: expiry, connections: connections)
        var failure: (any Error)?
        do { try await body(b) } catch { failure = error }
        let names = [b.options.taskCollection, b.options.groupCollection]
        _ = try? await b.executor.run { client in
            for n in names { _ = try? client.command([BSONField("drop", .string(n))]) }
        }
        try? await b.close()
        if let failure { throw failure }
    }

    /// The raw stored document, read with our driver layer.
    static func rawDocument(_ backend: MongoResultBackend, _ id: String, group: Bool = false) async throws -> [BSONField]? {
        let name = group ? backend.options.groupCollection : backend.options.taskCollection
        return try await backend.executor.run { client in
            try client.collection(name).findOne([BSONField("_id", .string(id))])
        }
    }

    /// Replaces a raw document (to plant odd documents).
    static func putRaw(_ backend: MongoResultBackend, _ fields: [BSONField]) async throws {
        let name = backend.options.taskCollection
        try await backend.executor.run { client in
            let doc = try BSONDocument(fields)
            _ = try client.collection(name).replaceOne(filter: [fields[0]], replacement: doc, options: [])
        }
    }

    static func newId() -> String { UUID().uuidString.lowercased() }
}

/// Runs `scripts/interop/celery_mongo.py` with Python Celery (venv `CELERY_VENV`, else
/// `/tmp/pyvenv`, else `.venv`) and returns its JSON output.
enum PythonCelery {
    static var python: String {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["CELERY_VENV"].map { $0 + "/bin/python" }, "/tmp/pyvenv/bin/python", ".venv/bin/python"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "python3"
    }

    static var script: String {
        // Tests/CeleryMongoTests/MongoTestSupport.swift → repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("scripts/interop/celery_mongo.py").path
    }

    /// Runs the script on a Dispatch thread (it blocks for seconds; the cooperative pool must
    /// stay free for the other tests running in parallel).
    static func run(_ url: String, _ backend: MongoResultBackend, _ args: [String]) async throws -> JSONValue {
        let tasks = backend.options.taskCollection
        let groups = backend.options.groupCollection
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(url, tasks, groups, args) })
            }
        }
    }

    static func runBlocking(_ url: String, _ tasks: String, _ groups: String, _ args: [String]) throws -> JSONValue {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, url, tasks, groups] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CeleryError(.server, "python interop \(args) failed: \(String(decoding: errData, as: UTF8.self))")
        }
        return try JSONCoding.parse(Array(data))
    }
}
