import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// Throughput and latency numbers for Docs/mongodb.md; runs only with `CELERY_MONGO_BENCH=N`
/// (N writes) set, as `Benchmarks/mongo_backend.sh` does. Prints one JSON line.
@Suite struct MongoBenchmarkTests {
    @Test func writesPerSecondAndWaitLatency() async throws {
        guard let n = ProcessInfo.processInfo.environment["CELERY_MONGO_BENCH"].flatMap(Int.init), n > 0 else { return }
        guard let url = MongoTestServer.url() else { return }
        try await MongoTestServer.withBackend(url, connections: 4) { (b: MongoResultBackend) async throws -> Void in
            try await b.store(TaskMeta(taskId: MongoTestServer.newId(), status: .success, result: 0))  // connect + indexes
            let clock = ContinuousClock()

            // Sequential SUCCESS writes from one caller.
            var start = clock.now
            for i in 0..<n {
                try await b.store(TaskMeta(taskId: MongoTestServer.newId(), status: .success, result: .int(Int64(i))))
            }
            let sequential = Double(n) / start.duration(to: clock.now).inSeconds

            // The same number of writes from 4 concurrent callers (one per pooled connection).
            start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<4 {
                    group.addTask {
                        for i in stride(from: w, to: n, by: 4) {
                            try await b.store(TaskMeta(taskId: MongoTestServer.newId(), status: .success, result: .int(Int64(i))))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let concurrent = Double(n) / start.duration(to: clock.now).inSeconds

            // waitForReady latency: a waiter polls while a writer stores SUCCESS after 50–300 ms;
            // latency = waiter's return − the moment the write was acknowledged.
            var latencies: [Double] = []
            let rounds = max(10, min(60, n / 20))
            for r in 0..<rounds {
                let id = MongoTestServer.newId()
                let delay = Duration.milliseconds(50 + (r * 37) % 250)
                let writer = Task {
                    try await Task.sleep(for: delay)
                    try await b.store(TaskMeta(taskId: id, status: .success, result: 1))
                    return clock.now
                }
                _ = try await b.waitForReady(id, timeout: .seconds(10))
                let returned = clock.now
                let stored = try await writer.value
                latencies.append(max(0, stored.duration(to: returned).inSeconds))
            }
            latencies.sort()
            let report: JSONValue = [
                "impl": "swift", "n": .int(Int64(n)), "writes_per_s_sequential": .double((sequential * 10).rounded() / 10),
                "writes_per_s_4_concurrent": .double((concurrent * 10).rounded() / 10), "wait_rounds": .int(Int64(rounds)),
                "wait_latency_median_ms": .double((latencies[latencies.count / 2] * 10_000).rounded() / 10),
                "wait_latency_p90_ms": .double((latencies[latencies.count * 9 / 10] * 10_000).rounded() / 10),
            ]
            print("MONGO_BENCH \(report)")
            #expect(sequential > 0 && concurrent > 0)
        }
    }
}
