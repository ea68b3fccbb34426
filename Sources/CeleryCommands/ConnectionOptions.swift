import ArgumentParser
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Flags every command shares: where the broker and the results are, and how much to log.
public struct ConnectionOptions: ParsableArguments, Sendable {
    /// Broker URL.
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Broker URL: memory://, redis://[:password@]host:port/db, rediss://, sentinel://host:26379;sentinel://…?master_name=NAME, amqp://user:pass@host:port/vhost, amqps://; a `;` list fails over (env CELERY_BROKER_URL).",
            valueName: "url"))
    public var broker: String?

    /// Result backend URL.
    @Option(
        name: .customLong("result-backend"),
        help: ArgumentHelp(
            "Result backend URL: memory://, mongodb://host:port/db, redis://… (env CELERY_RESULT_BACKEND; none = results not stored).",
            valueName: "url"))
    public var resultBackend: String?

    /// Log level.
    @Option(name: [.customShort("l"), .long], help: "Log level: debug, info, warning, error.")
    public var loglevel: String = "info"

    public init() {}

    /// The default broker when neither the flag nor the environment gives one.
    public static let defaultBroker = "redis://127.0.0.1:6379/0"

    /// The broker URL: flag, else `CELERY_BROKER_URL`, else the default.
    public func brokerURL(default fallback: String = ConnectionOptions.defaultBroker) -> String {
        broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
    }

    /// The backend URL: flag, else `CELERY_RESULT_BACKEND`, else none.
    public var backendURL: String? {
        resultBackend ?? ProcessInfo.processInfo.environment["CELERY_RESULT_BACKEND"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func validate() throws {
        guard Logger.Level(name: loglevel) != nil else {
            throw ValidationError("unknown log level '\(loglevel)' (use debug, info, warning or error)")
        }
        if let b = broker { _ = try parse(b, what: "--broker") }
        if let r = resultBackend { _ = try parse(r, what: "--result-backend") }
    }

    private func parse(_ url: String, what: String) throws -> ConnectionURL {
        do { return try ConnectionURL(url) } catch let e as CeleryError { throw ValidationError("\(what): \(e.message)") }
    }

    /// The configured log level.
    public var level: Logger.Level { Logger.Level(name: loglevel) ?? .info }
}

extension Logger.Level {
    /// Parses `debug`, `info`, `warning`/`warn`, `error`, `critical`, `trace`.
    init?(name: String) {
        switch name.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical", "fatal": self = .critical
        default: return nil
        }
    }
}

/// Process-wide setup for the command-line tools.
public enum CommandSupport {
    /// Bootstraps swift-log once, to standard error, at a level.
    public static func bootstrapLogging(_ level: Logger.Level) {
        LoggingBootstrap.once(level)
    }

    /// Connects an app, retrying unreachable servers for up to `timeout` with progress in the
    /// log; a bad URL fails at once. Only the schemes registered with ``TransportRegistry``
    /// are known (`memory://` always): a program registers the transports it links first
    /// (`AllTransports.register()`, or `RedisTransport.register()` …); an unknown scheme is a
    /// `badURL` error that says so.
    public static func connect(
        name: String, broker: String, backend: String?, logger: Logger, timeout: Duration = .seconds(30),
        configuration: CeleryConfiguration = CeleryConfiguration()
    ) async throws -> Celery {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var delay = 0.5
        while true {
            do {
                return try await Celery(name: name, broker: broker, backend: backend, configuration: configuration, logger: logger)
            } catch let e as CeleryError where e.kind == .badURL && (e.message.hasPrefix("no broker transport") || e.message.hasPrefix("no result backend")) {
                throw CeleryError(.badURL, e.message + "; this program does not link that transport (register it before connecting, e.g. RedisTransport.register() from CeleryRedis, or AllTransports.register())")
            } catch let e as CeleryError where e.kind == .connection && ContinuousClock.now < deadline {
                logger.warning("cannot connect yet (\(e.message)); retrying in \(delay)s")
                try await Task.sleep(for: .seconds(double: delay))
                delay = min(delay * 2, 5)
            }
        }
    }
}

import Synchronization

enum LoggingBootstrap {
    private static let done = Mutex(false)
    static func once(_ level: Logger.Level) {
        let first = done.withLock { d -> Bool in
            defer { d = true }
            return !d
        }
        guard first else { return }
        // StreamLogHandler stamps each line with glibc's `localtime`, which re-reads the time
        // zone (a `stat` of /etc/localtime) on every call unless TZ is set. Naming the same
        // default file explicitly keeps the local time and saves a system call per log line.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
