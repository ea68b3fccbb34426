import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A dedicated pub/sub connection that survives reconnects.
///
/// Published messages (``RedisPubSubMessage/isMessage``) arrive on ``messages``. When the
/// connection drops, the subscriber reconnects with ``RedisBackoff`` and re-issues every
/// `SUBSCRIBE`/`PSUBSCRIBE`, logging how long it was away: messages published during that
/// gap are lost (pub/sub keeps nothing for absent subscribers).
public actor RedisSubscriber {
    /// Published messages, in arrival order; finishes after ``close()``. At most
    /// `configuration.pushBufferLimit` wait unread: a reader that falls further behind
    /// loses the oldest (counted in ``dropped`` and logged).
    public nonisolated let messages: AsyncStream<RedisPubSubMessage>
    private nonisolated let droppedCount = Atomic<Int>(0)
    /// Messages this subscriber dropped because its reader fell more than
    /// `configuration.pushBufferLimit` messages behind.
    public nonisolated var dropped: Int { droppedCount.load(ordering: .relaxed) }
    private let output: AsyncStream<RedisPubSubMessage>.Continuation
    private let configuration: RedisConfiguration
    private let connector: any RedisConnector
    private let group: any EventLoopGroup
    private let logger: Logger
    private var connection: RedisConnection?
    private var channels: Set<String> = []
    private var patterns: Set<String> = []
    private var closed = false
    private var pump: Task<Void, Never>?
    private var backoff: RedisBackoff
    /// Number of times the connection was re-established.
    public private(set) var reconnects = 0

    /// Connects now (so an unreachable server is reported here, as a ``RESPError``).
    /// `connector` (default: the server of `configuration`) chooses the server of each
    /// (re)connection, so a subscriber follows a failover list or Sentinel.
    public init(
        configuration: RedisConfiguration, connector: (any RedisConnector)? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        backoff: RedisBackoff = RedisBackoff(), logger: Logger = Logger(label: "resp.subscriber")
    ) async throws {
        self.configuration = configuration
        let connector = connector ?? RedisFixedConnector(configuration)
        self.connector = connector
        self.group = group
        self.logger = logger
        self.backoff = backoff
        (messages, output) = AsyncStream<RedisPubSubMessage>.makeStream(
            bufferingPolicy: RedisPushBuffer.policy(configuration.pushBufferLimit))
        let c = try await connector.connect(group: group, logger: logger)
        connection = c
        startPump(c)
    }

    /// Subscribes to channels; returns once Redis confirmed them.
    public func subscribe(_ names: [String]) async throws {
        channels.formUnion(names)
        try await current().subscribe(names)
    }

    /// Subscribes to glob patterns; returns once Redis confirmed them.
    public func psubscribe(_ names: [String]) async throws {
        patterns.formUnion(names)
        try await current().psubscribe(names)
    }

    /// Unsubscribes from channels.
    public func unsubscribe(_ names: [String]) async throws {
        channels.subtract(names)
        try await current().unsubscribe(names)
    }

    /// Unsubscribes from patterns.
    public func punsubscribe(_ names: [String]) async throws {
        patterns.subtract(names)
        try await current().punsubscribe(names)
    }

    /// Drops the current connection as if the network failed (for tests of the reconnect path).
    public func dropConnection() async {
        await connection?.close()
    }

    /// Closes the connection and finishes ``messages``.
    public func close() async {
        closed = true
        pump?.cancel()
        await connection?.close()
        connection = nil
        output.finish()
    }

    private func current() throws -> RedisConnection {
        guard !closed, let c = connection else {
            throw RESPError(.closed, "subscriber for \(configuration.maskedURL) is closed or reconnecting")
        }
        return c
    }

    private func startPump(_ c: RedisConnection) {
        let logger = self.logger, limit = configuration.pushBufferLimit, url = configuration.maskedURL
        pump = Task { [weak self] in
            for await m in c.pushes where m.isMessage {
                guard let self else { break }
                if RedisPushBuffer.record(self.output.yield(m)) {
                    // Logged at the first drop and then every 10 000th, not per message.
                    let n = self.droppedCount.add(1, ordering: .relaxed).newValue
                    if n == 1 || n % 10_000 == 0 {
                        logger.warning(
                            "pub/sub reader is more than \(limit) messages behind; dropping the oldest",
                            metadata: ["redis": "\(url)", "dropped": "\(n)"])
                    }
                }
            }
            await self?.connectionLost()
        }
    }

    private func connectionLost() async {
        guard !closed else { return }
        let lostAt = ContinuousClock.now
        connection = nil
        logger.warning("pub/sub connection lost; reconnecting", metadata: ["redis": "\(connector.displayURL)"])
        while !closed {
            try? await Task.sleep(for: backoff.nextDelay())
            guard !closed else { return }
            do {
                let c = try await connector.connect(group: group, logger: logger)
                if !channels.isEmpty { try await c.subscribe(channels.sorted()) }
                if !patterns.isEmpty { try await c.psubscribe(patterns.sorted()) }
                guard !closed else { await c.close(); return }
                connection = c
                backoff.reset()
                reconnects += 1
                logger.warning(
                    "pub/sub reconnected and resubscribed; messages published during the gap are lost",
                    metadata: ["redis": "\(connector.displayURL)", "gap": "\(ContinuousClock.now - lostAt)"])
                startPump(c)
                return
            } catch {
                logger.warning("pub/sub reconnect failed: \(error)", metadata: ["redis": "\(connector.displayURL)"])
            }
        }
    }
}
