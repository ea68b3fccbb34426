import Celery

/// Registers the `redis://`, `rediss://` and `sentinel://` schemes (broker and result
/// backend; the beat lease for the first two) with ``TransportRegistry``. A `;` failover list is passed whole (``RedisTarget``).
public enum RedisTransport {
    /// Adds the Redis schemes to the registry. Safe to call more than once.
    public static func register() {
        for scheme in ["redis", "rediss", "sentinel"] {
            TransportRegistry.registerBroker(scheme: scheme) { url, logger in
                try await RedisBroker(url: url.rawList, logger: logger)
            }
            TransportRegistry.registerBackend(scheme: scheme) { url, logger in
                try await RedisResultBackend(url: url.rawList, logger: logger)
            }
        }
        // The beat lease takes one Redis server (not a list or Sentinel yet).
        for scheme in ["redis", "rediss"] {
            TransportRegistry.registerLease(scheme: scheme) { url, key, logger in
                try RedisBeatLease(url: url, key: key, logger: logger)
            }
        }
    }
}
