import Celery

/// Registers the `redis://` and `rediss://` schemes (broker and result backend) with
/// ``TransportRegistry``.
public enum RedisTransport {
    /// Adds the Redis schemes to the registry. Safe to call more than once.
    public static func register() {}
}
