import DequeModule
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Connections for ordinary (non-blocking, non-subscribed) commands.
///
/// ``send(_:timeout:)`` and ``pipeline(_:timeout:)`` share one **multiplexed** connection:
/// concurrent callers' commands are pipelined on it and replies matched in order (RESP
/// answers in order), so a command costs no lease, no extra connection and, under load, no
/// extra round trip. A broken shared connection is replaced on the next command (a failed
/// connect is thrown to that caller, naming the server); a command that times out closes it
/// and fails the commands in flight with it, which is why blocking commands must never be
/// sent through it.
///
/// ``lease()`` / ``withConnection(_:)`` hand out exclusive connections (for `MULTI` spread
/// over several calls, `WATCH`, or anything that holds a connection): opened on demand up to
/// ``maxConnections``; a caller beyond that waits for one to be released.
public actor RedisConnectionPool {
    /// Connection settings.
    public nonisolated let configuration: RedisConfiguration
    /// Opens the connections (the fixed server of ``configuration`` unless a failover list or
    /// Sentinel connector was given).
    public nonisolated let connector: any RedisConnector
    /// Most connections open at once. Default 8.
    public nonisolated let maxConnections: Int
    private let group: any EventLoopGroup
    private let logger: Logger
    private var idle: [RedisConnection] = []
    private var open = 0
    private var waiters: Deque<CheckedContinuation<Void, Never>> = []
    private var closed = false
    /// The multiplexed connection and whether the pool is closed, read without an actor hop.
    private nonisolated let shared = Mutex<(connection: RedisConnection?, closed: Bool)>((nil, false))
    private var connecting: Task<RedisConnection, any Error>?

    /// Creates a pool; no connection is opened until the first command. `connector` (default:
    /// the server of `configuration`) chooses the server of each new connection.
    public init(
        configuration: RedisConfiguration, connector: (any RedisConnector)? = nil, maxConnections: Int = 8,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "resp.pool")
    ) {
        self.configuration = configuration
        self.connector = connector ?? RedisFixedConnector(configuration)
        self.maxConnections = max(1, maxConnections)
        self.group = group
        self.logger = logger
    }

    /// Takes a connection (opening one when allowed, else waiting for a release).
    public func lease() async throws -> RedisConnection {
        while true {
            guard !closed else { throw RESPError(.closed, "connection pool for \(configuration.maskedURL) is closed") }
            while let c = idle.popLast() {
                if c.isActive { return c }
                open -= 1
            }
            if open < maxConnections {
                open += 1
                do {
                    return try await connector.connect(group: group, logger: logger)
                } catch {
                    open -= 1
                    waiters.popFirst()?.resume()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Returns a leased connection (a closed one is dropped).
    public func release(_ connection: RedisConnection) {
        if connection.isActive && !closed {
            idle.append(connection)
        } else {
            open -= 1
            if closed { Task { await connection.close() } }
        }
        waiters.popFirst()?.resume()
    }

    /// Number of open connections (leased or idle).
    public var openConnections: Int { open }

    /// Closes idle connections and refuses new leases; leased ones close on release.
    public func close() async {
        closed = true
        let s = shared.withLock { s -> RedisConnection? in
            s.closed = true
            defer { s.connection = nil }
            return s.connection
        }
        if let s { await s.close() }
        let all = idle
        idle.removeAll()
        open -= all.count
        for c in all { await c.close() }
        while let w = waiters.popFirst() { w.resume() }
    }

    /// Runs `body` with a leased connection and releases it afterwards.
    public nonisolated func withConnection<T: Sendable>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        let c = try await lease()
        do {
            let r = try await body(c)
            await release(c)
            return r
        } catch {
            await release(c)
            throw error
        }
    }

    /// Sends one command on the shared multiplexed connection (see ``RedisConnection/send(_:timeout:)``);
    /// runs on the caller's executor.
    @discardableResult
    public nonisolated(nonsending) func send(_ command: [RESPValue], timeout: Duration? = nil) async throws -> RESPValue {
        try await multiplexed().send(command, timeout: timeout)
    }

    /// Sends commands pipelined, in one write, on the shared connection (see ``RedisConnection/pipeline(_:timeout:)``).
    public nonisolated(nonsending) func pipeline(_ commands: [[RESPValue]], timeout: Duration? = nil) async throws -> [RESPValue] {
        try await multiplexed().pipeline(commands, timeout: timeout)
    }

    /// The shared connection; opened (once, however many callers wait) when missing or broken.
    nonisolated(nonsending) func multiplexed() async throws -> RedisConnection {
        let (c, isClosed) = shared.withLock { ($0.connection, $0.closed) }
        if isClosed { throw RESPError(.closed, "connection pool for \(configuration.maskedURL) is closed") }
        if let c, c.isActive { return c }
        return try await openShared()
    }

    private func openShared() async throws -> RedisConnection {
        if closed { throw RESPError(.closed, "connection pool for \(configuration.maskedURL) is closed") }
        if let c = shared.withLock({ $0.connection }), c.isActive { return c }
        if let t = connecting { return try await t.value }
        let (configuration, connector, group, logger) = (self.configuration, self.connector, self.group, self.logger)
        let t = Task { try await connector.connect(group: group, logger: logger) }
        connecting = t
        defer { connecting = nil }
        let c = try await t.value
        let stale = shared.withLock { s -> Bool in
            if s.closed { return true }
            s.connection = c
            return false
        }
        if stale {
            await c.close()
            throw RESPError(.closed, "connection pool for \(configuration.maskedURL) is closed")
        }
        return c
    }
}
