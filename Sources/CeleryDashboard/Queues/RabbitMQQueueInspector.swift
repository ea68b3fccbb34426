import Celery
import CeleryRabbitMQ
import Foundation

/// Queues on RabbitMQ through AMQP alone: a passive `queue.declare` per queue gives its ready
/// count (and the `<queue>.dead_letter` queue's). AMQP cannot list queues, so the list is
/// the queues the app and its workers declare (from `inspect active_queues`) and those
/// configured; messages cannot be browsed without taking them, and the age of the oldest
/// message is unknown. The page says so.
struct RabbitMQQueueInspector: QueueInspector {
    let broker: RabbitMQBroker

    var note: String {
        "RabbitMQ through AMQP: counts by passive queue.declare for the queues the app and its workers declare. Browsing waiting messages, unacknowledged counts and queue latency need the management API, which this dashboard does not use yet; RabbitMQ's own management UI (port 15672) shows them."
    }

    func queues(extra: Set<String>) async throws -> [QueueInfo] {
        var out: [QueueInfo] = []
        for q in extra.sorted() where !q.hasSuffix(".pidbox") && !q.hasPrefix("celeryev") {
            let n = try await broker.queueLength(q)
            var info = QueueInfo(name: q, messages: n, byPriority: [:], consumedBy: [])
            info.deadLetters = try? await broker.deadLetterCount(queue: q)
            out.append(info)
        }
        return out
    }

    func browse(_ queue: String, offset: Int, limit: Int) async throws -> [WaitingMessage]? { nil }
    func deadLetters(_ queue: String, limit: Int) async throws -> [DeadLetter]? { nil }
    func requeueDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        throw DashboardError(501, "requeueing dead letters on RabbitMQ is not supported by the dashboard yet (use a shovel or the management UI)")
    }
    func deleteDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        guard index == nil else { throw DashboardError(501, "on RabbitMQ only all dead letters of a queue can be deleted (purge)") }
        return try await broker.purge(queue: "\(queue).dead_letter")
    }
    func close() async {}
}
