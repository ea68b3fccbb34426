import AMQP091
import Celery

/// Settles one queue-mode delivery on the channel it arrived on.
///
/// - ack → `basic.ack`
/// - requeue → `basic.nack` with `requeue=true` (back to the queue, marked redelivered)
/// - deadLetter → `basic.reject` with `requeue=false` when the queue has
///   `x-dead-letter-exchange` (the server moves it to `<queue>.dlx` → `<queue>.dead_letter`
///   with an `x-death` header); for a queue declared without it (e.g. by Python Celery)
///   the message is published to `<queue>.dlx` with the reason in header
///   `x-celery-dead-letter-reason`, confirmed, then acked.
struct RabbitMQAcknowledger: DeliveryAcknowledger {
    let broker: RabbitMQBroker
    let channel: AMQPChannel
    let deliveryTag: UInt64
    let queue: String
    let hasDeadLetterExchange: Bool
    let message: AMQPMessage

    func ack() async throws {
        try await settle("ack") { try await channel.ack(deliveryTag: deliveryTag) }
    }

    func requeue() async throws {
        try await settle("requeue") { try await channel.nack(deliveryTag: deliveryTag, requeue: true) }
    }

    func deadLetter(reason: String) async throws {
        broker.logger.warning("dead-lettering message", metadata: ["queue": "\(queue)", "reason": "\(reason)"])
        if hasDeadLetterExchange || !broker.options.deadLettering {
            try await settle("dead-letter") { try await channel.reject(deliveryTag: deliveryTag, requeue: false) }
            return
        }
        var props = message.properties
        var headers = props.headers ?? [:]
        headers["x-celery-dead-letter-reason"] = .string(reason)
        props.headers = headers
        _ = try await broker.confirmedPublish(
            exchange: RabbitMQNames.deadLetterExchange(queue), routingKey: queue, mandatory: false, properties: props,
            body: message.body, what: "dead-letter exchange of '\(queue)'")
        try await ack()
    }

    private func settle(_ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            throw CeleryError(
                .invalidState,
                "\(what) of delivery \(deliveryTag) from queue '\(queue)' failed: its channel is closed "
                    + "(the server requeues unacknowledged messages and delivers them again): \(error)")
        }
    }
}
