internal import CMongoC
import Celery

/// Turns libmongoc's `bson_error_t` into ``CeleryError`` with context: unreachable servers
/// name every seed `host:port` and the server-selection timeout.
enum MongoErrors {
    static func message(of error: inout bson_error_t) -> String {
        withUnsafeBytes(of: &error.message) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
    }

    static func isDuplicateKey(_ error: bson_error_t) -> Bool {
        error.code == 11000 || error.code == 11001 || error.code == 12582
    }

    static func error(_ error: inout bson_error_t, operation: String, pool: MongoClientPool) -> CeleryError {
        let text = MongoClientPool.scrub(message(of: &error), url: pool.maskedURL)
        let hosts = pool.hostList.joined(separator: ",")
        switch error.domain {
        case UInt32(MONGOC_ERROR_SERVER_SELECTION.rawValue):
            return CeleryError(
                .connection,
                "MongoDB at \(hosts) unreachable: no server selected within \(pool.serverSelectionTimeoutMS) ms (serverSelectionTimeoutMS) for \(operation): \(text)")
        case UInt32(MONGOC_ERROR_STREAM.rawValue):
            return CeleryError(.connection, "MongoDB at \(hosts): connection failed during \(operation): \(text)")
        case UInt32(MONGOC_ERROR_CLIENT.rawValue) where error.code == UInt32(MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue):
            return CeleryError(.connection, "MongoDB at \(hosts): authentication failed: \(text)")
        case UInt32(MONGOC_ERROR_BSON.rawValue):
            return CeleryError(.decoding, "MongoDB \(operation): invalid BSON: \(text)")
        default:
            if text.lowercased().contains("too large") {
                return CeleryError(.tooLarge, "MongoDB \(operation): \(text)")
            }
            return CeleryError(.server, "MongoDB at \(hosts) refused \(operation) (code \(error.code)): \(text)")
        }
    }
}
