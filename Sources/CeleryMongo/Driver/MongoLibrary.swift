internal import CMongoC
import Celery

/// libbson and libmongoc, loaded with `dlopen` the first time a `mongodb://` URL is used (see
/// `Sources/CMongoC`), so a process that never uses MongoDB neither links nor maps them.
enum MongoLibrary {
    /// Loads both libraries once (thread-safe), calls `mongoc_init()` and routes libmongoc's log
    /// lines into swift-log. Throws ``CeleryError`` (`invalidState`) naming the library and the
    /// package to install when it cannot be loaded; every later call throws the same error.
    static func load() throws {
        if let failure = loaded { throw CeleryError(.invalidState, failure) }
    }

    /// `nil` once loaded, else why not (`dlopen`'s or `dlsym`'s reason).
    private static let loaded: String? = {
        if let reason = cmongoc_load() { return String(cString: reason) }
        MongoLogBridge.installHandler()
        return nil
    }()
}
