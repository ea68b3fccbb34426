internal import CMongoC
import Celery

/// Owns a `mongoc_client_pool_t` (and its `mongoc_uri_t`), destroyed once in `deinit`.
///
/// `@unchecked Sendable`: libmongoc documents the client pool as thread-safe (pop/push from
/// any thread); the URI is only read after `init`. Clients popped from it are not shared.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    private let uri: OpaquePointer
    /// The database named in the URL path, or `celery`.
    let databaseName: String
    /// `host:port` of every seed host, for error messages.
    let hostList: [String]
    /// The server-selection timeout in effect, in milliseconds.
    let serverSelectionTimeoutMS: Int32
    /// Clients in the pool (URL `maxPoolSize`, else the `connections` option; at most 64).
    let maxSize: Int
    /// The masked URL, for error messages and logs.
    let maskedURL: String

    /// Parses the URL with libmongoc (unchanged) and creates a pool of at most `maxSize`
    /// clients (unless the URL sets `maxPoolSize`). Throws ``CeleryError`` (`badURL`) with the masked URL when libmongoc refuses it,
    /// (`invalidState`) when libmongoc cannot be loaded (``MongoLibrary/load()``).
    init(url: String, maxSize: Int, defaultServerSelectionTimeout: Duration) throws {
        try MongoLibrary.load()
        maskedURL = ConnectionURL.mask(url)
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(url, &error) else {
            let reason = MongoErrors.message(of: &error).replacing(url, with: ConnectionURL.mask(url))
            throw CeleryError(.badURL, "invalid MongoDB URL \(ConnectionURL.mask(url)): \(Self.scrub(reason, url: url))")
        }
        if !mongoc_uri_has_option(uri, CMONGOC_URI_SERVERSELECTIONTIMEOUTMS) {
            let ms = defaultServerSelectionTimeout.milliseconds
            _ = mongoc_uri_set_option_as_int32(uri, CMONGOC_URI_SERVERSELECTIONTIMEOUTMS, Int32(clamping: ms))
        }
        if let wc = mongoc_uri_get_write_concern(uri), mongoc_write_concern_get_w(wc) == 0 {
            mongoc_uri_destroy(uri)
            throw CeleryError(
                .badURL,
                "\(ConnectionURL.mask(url)): w=0 (unacknowledged) cannot keep a finished result from being overwritten; use w=1 or more")
        }
        if !mongoc_uri_has_option(uri, CMONGOC_URI_MAXPOOLSIZE) {
            _ = mongoc_uri_set_option_as_int32(uri, CMONGOC_URI_MAXPOOLSIZE, Int32(clamping: max(1, maxSize)))
        }
        self.maxSize = Int(min(64, max(1, mongoc_uri_get_option_as_int32(uri, CMONGOC_URI_MAXPOOLSIZE, Int32(clamping: maxSize)))))
        serverSelectionTimeoutMS = mongoc_uri_get_option_as_int32(uri, CMONGOC_URI_SERVERSELECTIONTIMEOUTMS, 30_000)
        databaseName = mongoc_uri_get_database(uri).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "celery"
        var hosts: [String] = []
        var node = mongoc_uri_get_hosts(uri)
        while let h = node {
            hosts.append(withUnsafeBytes(of: h.pointee.host_and_port) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) })
            node = UnsafePointer(h.pointee.next)
        }
        if hosts.isEmpty, let service = mongoc_uri_get_srv_hostname(uri) { hosts = [String(cString: service)] }
        hostList = hosts
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            mongoc_uri_destroy(uri)
            throw CeleryError(.badURL, "cannot create a MongoDB client pool for \(maskedURL): \(Self.scrub(MongoErrors.message(of: &error), url: url))")
        }
        self.uri = uri
        self.pool = pool
        _ = mongoc_client_pool_set_error_api(pool, Int32(CMONGOC_ERROR_API_VERSION_2))
        _ = mongoc_client_pool_set_appname(pool, "swift-celery")
    }

    deinit {
        mongoc_client_pool_destroy(pool)
        mongoc_uri_destroy(uri)
    }

    /// Checks out a client; blocks while all `maxSize` clients are in use (callers are a
    /// thread pool of the same size, so it does not in practice).
    func pop() -> MongoPooledClient {
        MongoPooledClient(pool: self, client: mongoc_client_pool_pop(pool))
    }

    /// Returns a client; called by ``MongoPooledClient`` in its `deinit`.
    func push(_ client: OpaquePointer) {
        mongoc_client_pool_push(pool, client)
    }

    /// Removes the password from libmongoc's messages, which may quote the URL.
    static func scrub(_ message: String, url: String) -> String {
        var m = message.replacing(url, with: ConnectionURL.mask(url))
        if let parsed = try? ConnectionURL(url), let pw = parsed.password, !pw.isEmpty {
            m = m.replacing(pw, with: "***")
        }
        return m
    }
}
