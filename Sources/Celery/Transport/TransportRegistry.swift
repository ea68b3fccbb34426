import Logging
import Synchronization

/// Builds brokers and result backends from URLs by scheme, so the core never imports a
/// transport. `memory` is built in; `CeleryRedis`, `CeleryRabbitMQ` and `CeleryMongo`
/// each provide a `register()` that adds their schemes (the command-line tools call them all).
public enum TransportRegistry {
    /// Makes a broker for a parsed URL.
    public typealias BrokerFactory = @Sendable (ConnectionURL, Logger) async throws -> any Broker
    /// Makes a result backend for a parsed URL.
    public typealias BackendFactory = @Sendable (ConnectionURL, Logger) async throws -> any ResultBackend

    /// Makes a beat leader lease for a URL and a key (`celery-beat --lock URL --lock-key K`).
    public typealias LeaseFactory = @Sendable (_ url: String, _ key: String, Logger) throws -> any BeatLease

    private struct Tables {
        var brokers: [String: BrokerFactory] = [:]
        var backends: [String: BackendFactory] = [:]
        var leases: [String: LeaseFactory] = [:]
    }

    private static let tables = Mutex(Tables())

    /// Registers (or replaces) the broker factory for a scheme such as `redis`.
    public static func registerBroker(scheme: String, _ factory: @escaping BrokerFactory) {
        tables.withLock { $0.brokers[scheme.lowercased()] = factory }
    }

    /// Registers (or replaces) the result-backend factory for a scheme such as `mongodb`.
    public static func registerBackend(scheme: String, _ factory: @escaping BackendFactory) {
        tables.withLock { $0.backends[scheme.lowercased()] = factory }
    }

    /// Registers (or replaces) the beat lease factory for a scheme such as `redis`.
    public static func registerLease(scheme: String, _ factory: @escaping LeaseFactory) {
        tables.withLock { $0.leases[scheme.lowercased()] = factory }
    }

    /// Schemes that have a lease factory, sorted.
    public static var leaseSchemes: [String] { tables.withLock { $0.leases.keys.sorted() } }

    /// Builds a beat lease for a URL; an unknown scheme is a ``CeleryError`` (`badURL`).
    public static func lease(url: String, key: String, logger: Logger = Logger(label: "celery.beat.lease")) throws -> any BeatLease {
        let parsed = try ConnectionURL(url)
        guard let f = tables.withLock({ $0.leases[parsed.scheme] }) else {
            throw CeleryError(.badURL, "no beat lease for scheme '\(parsed.scheme)' in \(parsed.masked) (known: \((leaseSchemes + ["file"]).sorted().joined(separator: ", ")))")
        }
        return try f(url, key, logger)
    }

    /// Schemes that have a broker factory, sorted.
    public static var brokerSchemes: [String] { tables.withLock { $0.brokers.keys.sorted() } }
    /// Schemes that have a backend factory, sorted.
    public static var backendSchemes: [String] { tables.withLock { $0.backends.keys.sorted() } }

    /// Builds a broker for a URL; an unknown scheme is a ``CeleryError`` (`badURL`) listing
    /// the known ones.
    public static func broker(url: String, logger: Logger = Logger(label: "celery.broker")) async throws -> any Broker {
        registerBuiltins()
        let parsed = try ConnectionURL(url)
        guard let f = tables.withLock({ $0.brokers[parsed.scheme] }) else {
            throw CeleryError(
                .badURL, "no broker transport for scheme '\(parsed.scheme)' in \(parsed.masked) (known: \(brokerSchemes.joined(separator: ", ")))")
        }
        return try await f(parsed, logger)
    }

    /// Builds a result backend for a URL; an unknown scheme is a ``CeleryError`` (`badURL`).
    public static func backend(url: String, logger: Logger = Logger(label: "celery.backend")) async throws -> any ResultBackend {
        registerBuiltins()
        let parsed = try ConnectionURL(url)
        guard let f = tables.withLock({ $0.backends[parsed.scheme] }) else {
            throw CeleryError(
                .badURL, "no result backend for scheme '\(parsed.scheme)' in \(parsed.masked) (known: \(backendSchemes.joined(separator: ", ")))")
        }
        return try await f(parsed, logger)
    }

    private static let builtins: Void = {
        registerBroker(scheme: "memory") { url, _ in InMemoryConnection(InMemoryBroker.named(url.host)) }
        registerBackend(scheme: "memory") { url, _ in InMemoryResultBackend.named(url.host) }
    }()

    static func registerBuiltins() { _ = builtins }
}
