internal import CMongoC
import Logging

/// Routes libmongoc's own log lines (normally printed to stderr) into swift-log under the
/// label `celery.mongodb.libmongoc`, with libmongoc's levels mapped to swift-log's.
enum MongoLogBridge {
    static let logger = Logger(label: "celery.mongodb.libmongoc")

    /// Installs the handler; called once, by ``MongoLibrary/load()`` after loading libmongoc.
    static func installHandler() {
        mongoc_log_set_handler({ level, domain, message, _ in
            let text = message.map { String(cString: $0) } ?? ""
            let source = domain.map { String(cString: $0) } ?? "mongoc"
            let mapped: Logger.Level
            switch level {
            case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: mapped = .error
            case MONGOC_LOG_LEVEL_WARNING: mapped = .warning
            case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: mapped = .info
            case MONGOC_LOG_LEVEL_DEBUG: mapped = .debug
            default: mapped = .trace
            }
            MongoLogBridge.logger.log(level: mapped, "\(source): \(text)")
        }, nil)
    }
}
