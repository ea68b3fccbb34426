import Celery
import CeleryDashboard
import CeleryMongo
import Foundation
import Testing

/// History pages come from MongoDB: filtered (state, name, worker), sorted newest first and
/// paged by the server, the time window cut where it ends.
@Suite(.serialized) struct HistoryPagingTests {
    @Test func pagesFiltersAndTheTimeWindowAreTheServersAnswer() async throws {
        let redis = try Servers.redis(), mongo = try Servers.mongo()
        let name = "tasks.page-" + Servers.unique("h"), w1 = Servers.unique("w1") + "@page", w2 = Servers.unique("w2") + "@page"
        let backend = try MongoResultBackend(url: mongo)
        let now = Date()
        var ids: [String] = []
        for i in 0..<120 {
            let id = UUID().uuidString.lowercased()
            ids.append(id)
            let done = now.addingTimeInterval(-10 * Double(i))
            _ = try await backend.store(TaskMeta(
                taskId: id, status: i % 4 == 0 ? .failure : .success, result: .int(Int64(i)), dateDone: done,
                dateStarted: done.addingTimeInterval(-0.01), name: name, args: [.int(Int64(i))], kwargs: [:],
                worker: i % 2 == 0 ? w1 : w2))
        }
        try await backend.close()
        let d = try await LiveDashboard(broker: redis, backend: mongo)
        defer { Task { await d.stop() } }
        func page(_ query: String) async throws -> [String] {
            let r = try await d.get("/api/tasks?taskname=\(name)&\(query)")
            #expect(r.status == 200, "\(r.text)")
            // Flower's shape is an object keyed by id, newest first; keep the order of the text.
            let keys = r.text.matches(of: /"([0-9a-f-]{36})":\{/).map { String($0.1) }
            return keys
        }
        #expect(try await page("limit=50") == Array(ids[0..<50]))
        #expect(try await page("limit=50&offset=100") == Array(ids[100..<120]))
        #expect(try await page("limit=50&offset=120").isEmpty)
        #expect(try await page("limit=100&workername=\(w1)") == stride(from: 0, to: 120, by: 2).prefix(100).map { ids[$0] })
        #expect(try await page("limit=100&state=FAILURE") == stride(from: 0, to: 120, by: 4).map { ids[$0] })
        #expect(try await page("limit=100&state=FAILURE&offset=25") == stride(from: 100, to: 120, by: 4).map { ids[$0] })
        // The last 305 s: tasks 0…30, the window cut where it ends (also past a page's offset).
        #expect(try await page("limit=100&since=305") == Array(ids[0...30]))
        #expect(try await page("limit=10&offset=25&since=305") == Array(ids[25...30]))
        // Text is searched in memory over a bounded window.
        #expect(try await page("limit=10&search=\(ids[77])") == [ids[77]])
    }
}
