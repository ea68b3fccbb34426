import DequeModule
import Logging
import NIOCore
import NIOPosix

/// A small pool of ``RedisConnection``s for ordinary (non-blocking, non-subscribed)
/// commands. Connections are opened on demand up to ``maxConnections``; a caller beyond
/// that waits for one to be released. Broken connections are dropped and replaced by the
/// next lease (a failed connect is thrown to that caller, naming the server).
public actor RedisConnectionPool {
    /// Connection settings.
    public nonisolated let configuration: RedisConfiguration
    /// Most connections open at once. Default 8.
    public nonisolated let maxConnections: Int
    private let group: any EventLoopGroup
    private let logger: Logger
    private var idle: [RedisConnection] = []
    private var open = 0
    private var waiters: Deque<CheckedContinuation<Void, Never>> = []
    private var closed = false

    /// Creates a pool; no connection is opened until the first command.
    public init(
        configuration: RedisConfiguration, maxConnections: Int = 8,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "resp.pool")
    ) {
        self.configuration = configuration
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
                    return try await RedisConnection.connect(configuration, group: group, logger: logger)
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

    /// Sends one command on a pooled connection (see ``RedisConnection/send(_:timeout:)``).
    @discardableResult
    public nonisolated func send(_ command: [RESPValue], timeout: Duration? = nil) async throws -> RESPValue {
        try await withConnection { try await $0.send(command, timeout: timeout) }
    }

    /// Sends commands pipelined on one pooled connection (see ``RedisConnection/pipeline(_:timeout:)``).
    public nonisolated func pipeline(_ commands: [[RESPValue]], timeout: Duration? = nil) async throws -> [RESPValue] {
        try await withConnection { try await $0.pipeline(commands, timeout: timeout) }
    }
}
