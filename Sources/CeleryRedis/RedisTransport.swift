import Celery

/// Registers the `redis://` and `rediss://` schemes (broker, result backend and beat lease)
/// with ``TransportRegistry``.
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
            TransportRegistry.registerLease(scheme: scheme) { url, key, logger in
                try RedisBeatLease(url: url, key: key, logger: logger)
            }
        }
    }
}
