import Celery
import CeleryTestSupport
import Foundation
import RESP
import Testing

@testable import CeleryRedis

/// Live-test plumbing: `CELERY_TEST_REDIS_URL` (unset with `CI` set → the test fails).
enum TestRedis {
    /// `CELERY_TEST_REDIS_URL`; unset: a thrown ``MissingServer`` in CI, else `nil` (the test returns early).
    static func url() throws -> String? {
        if LiveServers.inCI { return try LiveServers.required(LiveServers.redisVariable) }
        return LiveServers.redis()
    }

    /// The test URL with another database number and extra query.
    static func url(db: Int, query: String = "") throws -> String? {
        guard let u = try url() else { return nil }
        let c = try RedisConfiguration(url: u)
        let auth = c.password.map { "\(c.user ?? ""):\($0)@" } ?? ""
        return "redis://\(auth)\(c.peer)/\(db)" + (query.isEmpty ? "" : "?\(query)")
    }

    static func unique(_ prefix: String) -> String { LiveServers.unique(prefix) }

    static func message(_ n: Int, id: String = UUID().uuidString.lowercased(), priority: Int? = nil) -> BrokerMessage {
        BrokerMessage(
            body: Array("[[\(n), 1], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]".utf8),
            headers: ["lang": "py", "task": "tasks.add", "id": .string(id), "retries": 0],
            correlationId: id, replyTo: "client-1", priority: priority)
    }

    /// `next()` bounded by a timeout (nil on timeout; the pending call is cancelled).
    static func next(_ c: any MessageConsumer, within d: Duration) async throws -> Delivery? {
        try await withThrowingTaskGroup(of: Delivery?.self) { g in
            g.addTask { try await c.next() }
            g.addTask { try await Task.sleep(for: d); return nil }
            let first = try await g.next() ?? nil
            g.cancelAll()
            return first
        }
    }
}
