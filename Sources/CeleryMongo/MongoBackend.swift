internal import CMongoC
import Celery

/// Registers the `mongodb://` (and `mongodb+srv://`) result-backend schemes with
/// ``TransportRegistry``.
public enum MongoBackend {
    /// Adds the MongoDB schemes to the registry, building a ``MongoResultBackend`` with
    /// default ``MongoBackendOptions``. Safe to call more than once.
    public static func register() {
        let factory: TransportRegistry.BackendFactory = { url, logger in
            try MongoResultBackend(url: url.raw, logger: logger)
        }
        TransportRegistry.registerBackend(scheme: "mongodb", factory)
        if supportsSRV {
            TransportRegistry.registerBackend(scheme: "mongodb+srv", factory)
        }
    }

    /// Whether this libmongoc parses `mongodb+srv://` URLs (it resolves them at connect time).
    static let supportsSRV: Bool = {
        _ = MongoLogBridge.install
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error("mongodb+srv://cluster.example.com/", &error) else { return false }
        mongoc_uri_destroy(uri)
        return true
    }()
}
