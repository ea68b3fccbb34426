import AMQP091
import Celery
import Logging

/// Remote control's transient queues, declared as kombu's `Mailbox` declares them (Celery's
/// `control_queue_*` defaults), so none outlives the process that uses it:
///
/// - a caller's reply queue `<oid>.reply.celery.pidbox` (``ControlReplyQueue``): not durable,
///   exclusive to the caller's connection, auto-delete, `x-expires` 10 s and `x-message-ttl`
///   300 s, bound to the non-durable direct exchange `reply.celery.pidbox` with routing key
///   `<oid>` (where Python Celery workers send their replies; ours use the default exchange),
///   and no dead-letter exchange or queue. The server deletes it when the caller cancels its
///   consumer or its connection closes (a killed caller), and a queue left without consumers
///   any other way after 10 s.
/// - a worker's mailbox subscription on the fanout `celery.pidbox` (a `bcast.<uuid>` queue,
///   exclusive and auto-delete like every broadcast subscription) also gets `x-message-ttl`
///   300 s, so commands do not pile up behind a worker that is connected but stuck.
///
/// Replies are published without declaring anything: a reply to a caller that is gone is
/// dropped instead of creating its queue again.
enum RabbitMQControlQueues {
    /// `x-expires` and `x-message-ttl` of a reply queue, in milliseconds.
    static var replyQueueArguments: AMQPTable {
        [
            "x-expires": ms(ControlReplyQueue.expires),
            "x-message-ttl": ms(ControlReplyQueue.messageTTL),
        ]
    }

    /// Extra arguments of the `bcast.<uuid>` queue subscribed to broadcast exchange `name`:
    /// `x-message-ttl` for remote-control mailboxes (`<ns>.pidbox`), none for others.
    static func broadcastQueueArguments(exchange name: String) -> AMQPTable {
        name.hasSuffix(".pidbox") ? ["x-message-ttl": ms(ControlReplyQueue.messageTTL)] : [:]
    }

    /// A duration as an AMQP integer of milliseconds.
    private static func ms(_ d: Duration) -> AMQPFieldValue {
        .int32(Int32(clamping: d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000))
    }

    /// Declares the reply exchange (direct, not durable; an existing one with other properties
    /// is used as it is) on a throw-away channel of `c`.
    static func declareExchange(of reply: ControlReplyQueue, on c: AMQPConnection, logger: Logger) async throws {
        let ch = try await c.openChannel()
        do {
            try await ch.exchangeDeclare(reply.exchange, type: "direct", durable: false)
            try? await ch.close()
        } catch let e as AMQPError where e.replyCode == 406 {
            logger.notice("reply exchange exists with other properties; using it as declared", metadata: ["exchange": "\(reply.exchange)"])
        }
    }

    /// Declares the reply queue and binds it to its exchange, on a throw-away channel of `c`, the
    /// connection that will consume the queue (it is exclusive to it).
    static func declareQueue(_ reply: ControlReplyQueue, on c: AMQPConnection) async throws {
        let ch = try await c.openChannel()
        do {
            try await ch.queueDeclare(
                .init(queue: reply.name, durable: false, exclusive: true, autoDelete: true, arguments: replyQueueArguments))
            try await ch.queueBind(queue: reply.name, exchange: reply.exchange, routingKey: reply.oid)
            try? await ch.close()
        } catch {
            try? await ch.close()
            throw error
        }
    }
}
