import Celery
import RESP

/// A remote-control caller's reply queue on Redis (``ControlReplyQueue``), kept as kombu keeps
/// it: the list `<oid>.reply.celery.pidbox`, read by an ordinary queue consumer, plus the member
/// `<oid>\x06\x16\x06\x16<queue>` of the binding set `_kombu.binding.reply.celery.pidbox`, so a
/// Python Celery worker (which publishes its reply to that exchange with routing key `<oid>`)
/// finds the list.
///
/// ``cancel()`` does what kombu's `after_reply_message_received` does once the caller has its
/// replies: it removes the binding member and deletes the lists, replies that came late
/// included, so a call leaves no key behind. Replies our workers push to a list nobody reads
/// any more expire with it (``ControlReplyQueue/expires``, see ``RedisBroker``).
actor RedisReplyQueueConsumer: MessageConsumer {
    let broker: RedisBroker
    let reply: ControlReplyQueue
    let inner: RedisQueueConsumer
    private var cleaned = false

    /// Binds the reply queue, then starts reading it.
    init(broker: RedisBroker, reply: ControlReplyQueue, prefetch: Int, id: UInt64) async throws {
        self.broker = broker
        self.reply = reply
        _ = try await broker.pool.send(["SADD", RESPValue(Self.bindingKey(reply)), RESPValue(Self.bindingMember(reply))])
        inner = await RedisQueueConsumer(broker: broker, queue: reply.name, prefetch: prefetch, id: id)
    }

    static func bindingKey(_ reply: ControlReplyQueue) -> String { RedisKeys.binding(exchange: reply.exchange) }
    static func bindingMember(_ reply: ControlReplyQueue) -> String { RedisKeys.bindingMember(routingKey: reply.oid, queue: reply.name) }

    func next() async throws -> Delivery? { try await inner.next() }
    func next(within timeout: Duration) async throws -> Delivery? { try await inner.next(within: timeout) }
    func stopDeliveries() async { await inner.stopDeliveries() }

    /// Stops the consumer, then unbinds the queue and deletes its lists. A failure to clean up
    /// is logged (the binding member is a few bytes; the lists expire when a reply set a TTL).
    func cancel() async {
        await inner.cancel()
        guard !cleaned else { return }
        cleaned = true
        let lists = RedisEnvelope.listKeys(queue: reply.name).map { RESPValue($0) }
        do {
            _ = try await broker.pool.pipeline([
                ["SREM", RESPValue(Self.bindingKey(reply)), RESPValue(Self.bindingMember(reply))],
                ["DEL"] + lists,
            ])
        } catch {
            broker.logger.warning("could not remove reply queue \(reply.name): \(error)")
        }
    }
}
