import Celery
import Foundation

/// One queue as the overview, `/api/queues/length` and `/metrics` show it.
public struct QueueInfo: Sendable, Hashable {
    /// Queue name.
    public var name: String
    /// Ready (waiting) messages over every priority.
    public var messages: Int
    /// Ready messages per priority band (`"0-2"`, `"3-5"`, …) where the broker keeps them apart.
    public var byPriority: [String: Int]
    /// Delivered but not yet acknowledged, when the broker tells.
    public var unacked: Int?
    /// Consumers attached, when the broker tells.
    public var consumers: Int?
    /// Age in seconds of the oldest waiting message (queue latency), when known.
    public var oldestAge: Double?
    /// Messages in the queue's dead-letter place.
    public var deadLetters: Int?
    /// Workers that consume it (from `inspect active_queues`).
    public var consumedBy: [String]
    /// Messages published to it per second, when the broker tells (RabbitMQ management API).
    public var publishRate: Double?
    /// Messages delivered from it per second, when the broker tells (RabbitMQ management API).
    public var deliverRate: Double?
}

/// A message waiting in a queue, seen without taking it.
public struct WaitingMessage: Sendable, Hashable {
    /// Position from the head of the line (0 = next to be delivered).
    public var position: Int
    /// Task id.
    public var id: String?
    /// Task name.
    public var task: String?
    /// Argument texts (`argsrepr`/`kwargsrepr`).
    public var args: String?
    public var kwargs: String?
    /// ETA (ISO-8601), priority and retries.
    public var eta: String?
    public var priority: Int?
    public var retries: Int?
}

/// A dead-lettered message.
public struct DeadLetter: Sendable, Hashable {
    /// Index in the dead-letter list (0 = newest).
    public var index: Int
    /// Why it was dead-lettered.
    public var reason: String
    /// When (ISO-8601).
    public var at: String?
    /// Task name and id of the message.
    public var task: String?
    public var id: String?
}

/// What a broker lets the dashboard see of its queues. Implementations: Redis (every
/// kombu binding, priorities, unacked, latency, browse, dead letters) and RabbitMQ
/// (the management API where it is enabled, else passive-declare counts of known queues).
protocol QueueInspector: Sendable {
    /// What this inspector can and cannot see, shown on the queues page.
    var note: String { get }
    /// Every queue it can name, plus `extra` (the app's and workers' queues).
    func queues(extra: Set<String>) async throws -> [QueueInfo]
    /// Waiting messages of a queue, next-to-run first; `nil` when the broker cannot show them.
    func browse(_ queue: String, offset: Int, limit: Int) async throws -> [WaitingMessage]?
    /// Dead letters of a queue, newest first; `nil` when they cannot be listed.
    func deadLetters(_ queue: String, limit: Int) async throws -> [DeadLetter]?
    /// Puts dead letters back on their queue (one by index, or all); returns how many.
    func requeueDeadLetters(_ queue: String, index: Int?) async throws -> Int
    /// Deletes dead letters (one by index, or all); returns how many.
    func deleteDeadLetters(_ queue: String, index: Int?) async throws -> Int
    /// Closes connections.
    func close() async
}

/// The memory broker (and any other): lengths of the queues named by the app and workers.
struct LengthOnlyInspector: QueueInspector {
    let broker: any Broker
    var note: String { "This broker reports queue lengths only; the queues listed are those the app and its workers declare." }

    func queues(extra: Set<String>) async throws -> [QueueInfo] {
        var out: [QueueInfo] = []
        for q in extra.sorted() {
            let n = try await broker.queueLength(q)
            out.append(QueueInfo(name: q, messages: n, byPriority: [:], consumedBy: []))
        }
        return out
    }
    func browse(_ queue: String, offset: Int, limit: Int) async throws -> [WaitingMessage]? { nil }
    func deadLetters(_ queue: String, limit: Int) async throws -> [DeadLetter]? { nil }
    func requeueDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        throw DashboardError(501, "this broker cannot requeue dead letters from the dashboard")
    }
    func deleteDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        throw DashboardError(501, "this broker cannot delete dead letters from the dashboard")
    }
    func close() async {}
}
