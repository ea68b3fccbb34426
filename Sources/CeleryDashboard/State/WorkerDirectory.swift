import Celery
import Foundation
import Synchronization

/// What workers answer to `inspect` (stats, active_queues, registered, active, scheduled,
/// reserved, conf), asked all at once and cached for ``maxAge`` so page loads do not flood
/// the control channel.
final class WorkerDirectory: Sendable {
    /// How long answers are reused. Default 5 s.
    let maxAge: Double
    let timeout: Duration
    let app: Celery
    private let cache = Mutex<(at: Double, replies: [String: [String: JSONValue]])>((0, [:]))

    /// The inspections asked for every worker (Flower's set).
    static let inspections: [RemoteControlMethod] = [.stats, .activeQueues, .registered, .active, .scheduled, .reserved, .conf]

    init(app: Celery, timeout: Duration, maxAge: Double = 5) {
        self.app = app
        self.timeout = timeout
        self.maxAge = maxAge
    }

    /// host → inspection name → reply. `refresh` asks again now; `expected` (workers known
    /// online) lets each call return as soon as they all answered.
    func replies(refresh: Bool = false, expected: Int? = nil, only: [RemoteControlMethod] = inspections) async -> [String: [String: JSONValue]] {
        let now = Date().timeIntervalSince1970
        let cached = cache.withLock { $0 }
        if !refresh, now - cached.at < maxAge, !cached.replies.isEmpty { return cached.replies }
        let client = app.controlClient
        let timeout = self.timeout
        let results = await withTaskGroup(of: (String, [String: JSONValue]).self) { g in
            for m in only {
                g.addTask {
                    let r = (try? await client.call(m.rawValue, timeout: timeout, limit: expected.flatMap { $0 > 0 ? $0 : nil })) ?? [:]
                    return (m.rawValue, r)
                }
            }
            var out: [String: [String: JSONValue]] = [:]
            for await (method, byHost) in g {
                for (host, reply) in byHost { out[host, default: [:]][method] = reply }
            }
            return out
        }
        if only == Self.inspections { cache.withLock { $0 = (now, results) } }
        return results
    }

    /// Queue names workers consume, with the workers consuming each (broadcast routes apart).
    func consumedQueues(_ replies: [String: [String: JSONValue]]) -> (queues: [String: [String]], broadcasts: [String: [String]]) {
        var queues: [String: [String]] = [:], broadcasts: [String: [String]] = [:]
        for (host, r) in replies {
            for q in r["active_queues"]?.arrayValue ?? [] {
                guard let name = q["name"]?.stringValue else { continue }
                if q["exchange"]?["type"]?.stringValue == "fanout" {
                    broadcasts[name, default: []].append(host)
                } else {
                    queues[name, default: []].append(host)
                }
            }
        }
        return (queues, broadcasts)
    }

    /// Forgets cached answers (after an action that changes workers).
    func invalidate() { cache.withLock { $0 = (0, [:]) } }
}
