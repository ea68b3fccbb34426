import AMQP091
import Foundation

/// Requeues and deletes dead letters on RabbitMQ through AMQP, so nothing is lost on the
/// way: each message is taken from `<queue>.dead_letter` with `basic.get` (unacknowledged),
/// published to the original queue (default exchange, routing key = the queue named in its
/// `x-death`, else the queue) with a publisher confirm and `mandatory`, and only then
/// acknowledged. Messages passed over to reach an index are put back in place
/// (`basic.nack` with requeue), and a failure leaves the message where it was (the channel
/// closes and RabbitMQ requeues it). Index 0 is the oldest dead letter (the queue's head).
struct RabbitMQDeadLetterMover: Sendable {
    /// The broker URL (one node, password inside).
    let brokerURL: String

    /// Headers RabbitMQ or the worker added on dead-lettering; dropped on requeue so the
    /// message starts afresh.
    static let deathHeaders: Set<String> = [
        "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason", "x-last-death-exchange",
        "x-last-death-queue", "x-last-death-reason", "x-celery-dead-letter-reason",
    ]

    static func deadLetterQueue(_ queue: String) -> String { "\(queue).dead_letter" }

    /// Moves one dead letter (by index) or all back to their queue; returns how many moved.
    func requeue(queue: String, index: Int?) async throws -> Int {
        try await withChannel { ch in
            let dlq = Self.deadLetterQueue(queue)
            if let index {
                let m = try await take(ch, dlq, index: index)
                try await republish(ch, m, queue: queue)
                return 1
            }
            // Only what is there now: a message dead-lettered again at once is not looped over.
            let n = try await ch.queueDeclare(.init(queue: dlq, passive: true)).messageCount
            var moved = 0
            for _ in 0..<n {
                guard let m = try await ch.get(queue: dlq) else { break }
                try await republish(ch, m, queue: queue)
                moved += 1
            }
            return moved
        }
    }

    /// Deletes one dead letter by index (acknowledged and gone); `nil` = purge them all.
    func delete(queue: String, index: Int?) async throws -> Int {
        try await withChannel { ch in
            let dlq = Self.deadLetterQueue(queue)
            guard let index else { return Int(try await ch.queuePurge(dlq)) }
            let m = try await take(ch, dlq, index: index)
            try await ch.ack(deliveryTag: m.deliveryTag)
            return 1
        }
    }

    /// Gets messages up to `index`, puts the earlier ones back, returns the one at `index`.
    private func take(_ ch: AMQPChannel, _ dlq: String, index: Int) async throws -> AMQPMessage {
        guard index >= 0, index < RabbitMQManagementAPI.maxPeek else { throw DashboardError.notFound("no dead letter #\(index) in \(dlq)") }
        var passed: [AMQPMessage] = []
        var found: AMQPMessage?
        while found == nil {
            guard let m = try await ch.get(queue: dlq) else { break }
            if passed.count == index { found = m } else { passed.append(m) }
        }
        for p in passed { try await ch.nack(deliveryTag: p.deliveryTag, requeue: true) }
        guard let found else { throw DashboardError.notFound("no dead letter #\(index) in \(dlq)") }
        return found
    }

    private func republish(_ ch: AMQPChannel, _ m: AMQPMessage, queue: String) async throws {
        var props = m.properties
        let target = Self.originalQueue(m.properties.headers) ?? queue
        props.headers = props.headers?.filter { !Self.deathHeaders.contains($0.key) }
        let r = try await ch.publish(exchange: "", routingKey: target, mandatory: true, properties: props, body: m.body)
        guard r.confirmed, r.returned == nil else {
            try? await ch.nack(deliveryTag: m.deliveryTag, requeue: true)
            throw DashboardError(502, r.returned != nil ? "queue '\(target)' does not exist; the dead letter stays" : "RabbitMQ did not confirm the requeue to '\(target)'; the dead letter stays")
        }
        try await ch.ack(deliveryTag: m.deliveryTag)
    }

    /// The queue a message was dead-lettered from (`x-death[0].queue`).
    static func originalQueue(_ headers: AMQPTable?) -> String? {
        guard case .array(let deaths)? = headers?["x-death"], case .table(let first)? = deaths.first else { return nil }
        return first["queue"]?.stringValue
    }

    private func withChannel<T: Sendable>(_ body: (AMQPChannel) async throws -> T) async throws -> T {
        let connection: AMQPConnection
        do { connection = try await AMQPConnection.connect(try AMQPConfiguration(url: brokerURL)) } catch {
            throw DashboardError.unavailable("cannot connect to RabbitMQ to move dead letters: \(error)")
        }
        do {
            let ch = try await connection.openChannel()
            try await ch.confirmSelect()
            let out = try await body(ch)
            try? await ch.close()
            try? await connection.close()
            return out
        } catch {
            // Closing requeues anything taken and not yet acknowledged.
            try? await connection.close()
            if let e = error as? DashboardError { throw e }
            if let e = error as? AMQPError, e.replyCode == 404 { return try zero(T.self) }
            throw DashboardError(502, "moving dead letters on RabbitMQ failed: \(error)")
        }
    }

    private func zero<T>(_: T.Type) throws -> T {
        guard let z = 0 as? T else { throw DashboardError.notFound("no dead-letter queue") }
        return z
    }
}
