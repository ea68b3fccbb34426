import Celery
import RESP

extension CeleryError {
    /// The ``CeleryError`` for a failure talking to Redis, naming the server (password masked).
    static func redis(_ error: any Error, _ what: String, at url: String) -> CeleryError {
        if let e = error as? CeleryError { return e }
        guard let e = error as? RESPError else { return CeleryError(.connection, "\(what) on \(url): \(error)") }
        let kind: CeleryError.Kind
        switch e.kind {
        case .server: kind = .server
        case .timeout: kind = .timeout
        case .badURL: kind = .badURL
        case .closed: kind = .invalidState
        case .connection, .tls, .protocolViolation, .limitExceeded: kind = .connection
        }
        return CeleryError(kind, "\(what) on \(url): \(e.message)")
    }
}

/// Runs `body`, turning RESP errors into ``CeleryError``s that name the server.
func mappingErrors<T>(_ what: String, _ url: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw CeleryError.redis(error, what, at: url) }
}
