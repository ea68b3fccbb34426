import Celery

/// Registers the `amqp://` and `amqps://` broker schemes with ``TransportRegistry``.
public enum RabbitMQTransport {
    /// Adds the AMQP schemes to the registry. Safe to call more than once. The factory
    /// connects immediately, so a bad URL, an unreachable server or wrong credentials
    /// fail here with a ``CeleryError`` naming the masked URL.
    public static func register() {
        for scheme in ["amqp", "amqps"] {
            TransportRegistry.registerBroker(scheme: scheme) { url, logger in
                let broker = try RabbitMQBroker(url: url.rawList, logger: logger)
                try await broker.connect()
                return broker
            }
        }
        RabbitMQRPCBackend.register()
    }
}
