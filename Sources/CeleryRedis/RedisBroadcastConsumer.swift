import Celery
import RESP

/// A broadcast-mode subscriber: its own pub/sub connection `PSUBSCRIBE`d to
/// `/<db>.<exchange>` and `/<db>.<exchange>/*` (kombu publishes to either form). Nothing
/// is acknowledged; messages published while it reconnects are lost (logged).
final class RedisBroadcastConsumer: MessageConsumer {
    private let subscriber: RedisSubscriber
    private let exchange: String

    init(broker: RedisBroker, exchange: String) async throws {
        self.exchange = exchange
        subscriber = try await RedisSubscriber(
            configuration: broker.configuration, connector: broker.connector, logger: broker.logger)
        let channel = Self.globEscaped(RedisKeys.fanoutChannel(db: broker.configuration.database, exchange: exchange))
        try await subscriber.psubscribe([channel, channel + "/*"])
    }

    func next() async throws -> Delivery? {
        var iterator = subscriber.messages.makeAsyncIterator()
        guard let m = await iterator.next() else { return nil }
        let decoded = RedisEnvelope.decode(m.payload)
        return Delivery(message: decoded.message, route: .broadcast(exchange), acknowledger: nil)
    }

    func cancel() async { await subscriber.close() }

    /// Broadcast holds nothing, so stopping deliveries is unsubscribing.
    func stopDeliveries() async { await subscriber.close() }

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
