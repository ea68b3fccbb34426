import Logging
import NIOCore
import NIOPosix

/// Opens the connections of a pool, a subscriber or a consumer: decides which server they go
/// to. The fixed connector always dials one configuration; a failover list or Redis Sentinel
/// (in `CeleryRedis`) pick the node in use at each connect, so every connection of a
/// transport follows the same node after a failover.
public protocol RedisConnector: Sendable {
    /// Where connections go, with every password masked (for logs and errors).
    var displayURL: String { get }
    /// Opens, authenticates and sets up a connection to the server to use now. Errors are
    /// ``RESPError``s naming the server(s) tried.
    func connect(group: any EventLoopGroup, logger: Logger) async throws -> RedisConnection
    /// Stops any background work (a sentinel watcher). Connections already opened stay open.
    func close() async
}

extension RedisConnector {
    /// Nothing to stop by default.
    public func close() async {}

    /// Connects on the shared event-loop group.
    public func connect(logger: Logger = Logger(label: "resp")) async throws -> RedisConnection {
        try await connect(group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }
}

/// The connector of a single server: every connection dials ``configuration``.
public struct RedisFixedConnector: RedisConnector {
    /// The server.
    public let configuration: RedisConfiguration

    /// A connector that always dials `configuration`.
    public init(_ configuration: RedisConfiguration) { self.configuration = configuration }

    public var displayURL: String { configuration.maskedURL }

    public func connect(group: any EventLoopGroup, logger: Logger) async throws -> RedisConnection {
        try await RedisConnection.connect(configuration, group: group, logger: logger)
    }
}
