import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// Result writes against a plain bulk insert of the same documents on the same server, in one
/// run (Docs/mongodb.md). Runs only with `CELERY_MONGO_BENCH=N` set (`Benchmarks/mongo_backend.sh`).
/// Prints one JSON line: results stored by 256 concurrent callers, bulk-written (default) and
/// one by one (`maxBatchedWrites: 1`), and `insert_many`-style bulk inserts of 1000 documents.
@Suite struct MongoBulkBenchmarkTests {
    @Test func resultWritesAgainstAPlainBulkInsert() async throws {
        guard let n = ProcessInfo.processInfo.environment["CELERY_MONGO_BENCH"].flatMap(Int.init), n > 0 else { return }
        guard let url = MongoTestServer.url() else { return }
        let clock = ContinuousClock()
        func metas() -> [TaskMeta] {
            (0..<n).map { TaskMeta(taskId: MongoTestServer.newId(), status: .success, result: .int(Int64($0)), dateDone: Date()) }
        }
        func stored(_ b: MongoResultBackend) async throws -> Double {
            try await b.store(TaskMeta(taskId: MongoTestServer.newId(), status: .success, result: 0))  // connect + indexes
            let all = metas()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<256 {
                    group.addTask { for i in stride(from: w, to: n, by: 256) { try await b.store(all[i]) } }
                }
                try await group.waitForAll()
            }
            return Double(n) / start.duration(to: clock.now).inSeconds
        }
        var batched = 0.0, single = 0.0, plain = 0.0
        try await MongoTestServer.withBackend(url) { b in batched = try await stored(b) }
        try await MongoTestServer.withBackend(url) { b in
            let one = try MongoResultBackend(url: url, options: MongoBackendOptions(
                serverSelectionTimeout: .seconds(3), taskCollection: b.options.taskCollection, maxBatchedWrites: 1))
            single = try await stored(one)
            try? await one.close()
        }
        try await MongoTestServer.withBackend(url) { b in
            let docs = try metas().map { try b.codec.document(for: $0) }
            let collection = b.options.taskCollection
            let start = clock.now
            for chunk in stride(from: 0, to: docs.count, by: 1000) {
                let part = Array(docs[chunk..<min(docs.count, chunk + 1000)])
                try await b.executor.run { client in
                    try client.collection(collection).insertMany(try part.map { try BSONDocument($0) })
                }
            }
            plain = Double(n) / start.duration(to: clock.now).inSeconds
        }
        let report: JSONValue = [
            "impl": "swift", "n": .int(Int64(n)), "callers": 256,
            "results_per_s_bulk": .double(batched.rounded()), "results_per_s_one_by_one": .double(single.rounded()),
            "plain_bulk_insert_per_s": .double(plain.rounded()),
            "bulk_fraction_of_plain_insert": .double((batched / plain * 100).rounded() / 100),
        ]
        print("MONGO_BENCH \(report)")
        #expect(batched > 0 && plain > 0)
    }
}
