import Celery
import RESP

/// A broadcast-mode subscriber: its own pub/sub connection `PSUBSCRIBE`d to
/// `/<db>.<exchange>` and `/<db>.<exchange>/*` (kombu publishes to either form). Nothing
/// is acknowledged; messages published while it reconnects are lost (logged).
///
/// One reader moves published messages into a ``DeliveryQueue``, so a `next(within:)` that
/// times out (as `celery-admin events` polls) only ends that wait: cancelling a wait on the
/// subscriber's stream itself would end the stream, and with it the subscription.
final class RedisBroadcastConsumer: MessageConsumer {
    private let subscriber: RedisSubscriber
    private let exchange: String
    private let deliveries = DeliveryQueue<Delivery>()
    private let reader: Task<Void, Never>

    init(broker: RedisBroker, exchange: String) async throws {
        self.exchange = exchange
        let subscriber = try await RedisSubscriber(
            configuration: broker.configuration, connector: broker.connector, logger: broker.logger)
        self.subscriber = subscriber
        let channel = Self.globEscaped(RedisKeys.fanoutChannel(db: broker.configuration.database, exchange: exchange))
        try await subscriber.psubscribe([channel, channel + "/*"])
        let deliveries = deliveries
        reader = Task {
            for await m in subscriber.messages {
                let decoded = RedisEnvelope.decode(m.payload)
                guard deliveries.push(Delivery(message: decoded.message, route: .broadcast(exchange), acknowledger: nil)) else { break }
                deliveries.settle()  // nothing to acknowledge: a broadcast holds no slot
            }
            _ = deliveries.close()
        }
    }

    func next() async throws -> Delivery? { await deliveries.take() }

    func next(within timeout: Duration) async throws -> Delivery? { await deliveries.take(within: timeout) }

    func cancel() async {
        _ = deliveries.close()
        await subscriber.close()
        reader.cancel()
    }

    /// Broadcast holds nothing, so stopping deliveries is unsubscribing.
    func stopDeliveries() async { await cancel() }

    /// Escapes Redis glob characters so a name matches only itself.
    static func globEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "*?[]\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
