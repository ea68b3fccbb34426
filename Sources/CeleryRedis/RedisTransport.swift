import Celery

/// Registers the `redis://` and `rediss://` schemes (broker and result backend) with
/// ``TransportRegistry``.
public enum RedisTransport {
    /// Adds the Redis schemes to the registry. Safe to call more than once.
    public static func register() {
        for scheme in ["redis", "rediss"] {
            TransportRegistry.registerBroker(scheme: scheme) { url, logger in
                try await RedisBroker(url: url.raw, logger: logger)
            }
            TransportRegistry.registerBackend(scheme: scheme) { url, logger in
                try await RedisResultBackend(url: url.raw, logger: logger)
            }
        }
    }
}
