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
        // Registered unconditionally: asking libmongoc whether it parses SRV URLs means
        // loading it (and OpenSSL), which a process that never uses MongoDB should not pay for
        // (about 6 MB of resident memory); the check runs when such a URL is used.
        TransportRegistry.registerBackend(scheme: "mongodb+srv") { url, logger in
            try MongoLibrary.load()
            guard supportsSRV else {
                throw CeleryError(.badURL, "\(url.masked): this libmongoc was built without SRV support; use mongodb://host:port,… instead")
            }
            return try MongoResultBackend(url: url.raw, logger: logger)
        }
    }

    /// Whether this libmongoc parses `mongodb+srv://` URLs (it resolves them at connect time);
    /// read only after ``MongoLibrary/load()`` succeeded.
    static let supportsSRV: Bool = {
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error("mongodb+srv://cluster.example.com/", &error) else { return false }
        mongoc_uri_destroy(uri)
        return true
    }()
}
