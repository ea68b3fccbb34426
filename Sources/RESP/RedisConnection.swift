import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to a Redis server with an async API. Commands may be sent concurrently:
/// they are pipelined on the socket and replies are matched in order.
///
/// A connection that fails (I/O error, protocol error, command timeout) is closed and every
/// in-flight command fails; ``isActive`` turns false and a pool or subscriber replaces it.
public final class RedisConnection: Sendable {
    /// The configuration it was opened with.
    public let configuration: RedisConfiguration
    /// Pub/sub pushes (messages and confirmations) received on this connection; finishes
    /// when the connection closes. Only a subscribed connection receives any. At most
    /// `configuration.pushBufferLimit` wait unread; beyond that the oldest is dropped
    /// (counted in ``RedisPushBuffer/dropped``).
    public let pushes: AsyncStream<RedisPubSubMessage>
    private let channel: any Channel

    private init(configuration: RedisConfiguration, channel: any Channel, pushes: AsyncStream<RedisPubSubMessage>) {
        self.configuration = configuration
        self.channel = channel
        self.pushes = pushes
    }

    /// Connects, authenticates (`AUTH [user] password`) and selects the database, all within
    /// `configuration.connectTimeout`. Errors are ``RESPError``s naming the server
    /// (`connection`, `timeout`, `tls`, or `server` for a refused `AUTH`/`SELECT`).
    public static func connect(
        _ configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        parser: RESPParser = RESPParser(), logger: Logger = Logger(label: "resp")
    ) async throws -> RedisConnection {
        let peer = configuration.peer
        let (stream, continuation) = AsyncStream<RedisPubSubMessage>.makeStream(
            bufferingPolicy: RedisPushBuffer.policy(configuration.pushBufferLimit))
        let sslContext: NIOSSLContext?
        do {
            sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw RESPError(.tls, "cannot set up TLS for \(configuration.maskedURL): \(error)")
        }
        let timeoutNanos = configuration.connectTimeout.nanoseconds
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(timeoutNanos))
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        let sni = configuration.host.first?.isLetter == true ? configuration.host : nil
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: sni))
                    }
                    try sync.addHandler(ByteToMessageHandler(RESPDecoder(parser: parser)))
                    try sync.addHandler(MessageToByteHandler(RESPEncoder()))
                    try sync.addHandler(RESPCommandHandler(
                        pushes: continuation, peer: peer, healthCheckInterval: configuration.healthCheckInterval))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            continuation.finish()
            throw describe(error, configuration, during: "connecting")
        }
        let connection = RedisConnection(configuration: configuration, channel: channel, pushes: stream)
        do {
            if let password = configuration.password {
                var auth: [RESPValue] = ["AUTH"]
                if let user = configuration.user { auth.append(RESPValue(user)) }
                auth.append(RESPValue(password))
                _ = try await connection.send(auth, timeout: configuration.connectTimeout)
            }
            if configuration.database != 0 {
                _ = try await connection.send(["SELECT", RESPValue(configuration.database)], timeout: configuration.connectTimeout)
            } else if configuration.password == nil {
                _ = try await connection.send(["PING"], timeout: configuration.connectTimeout)
            }
        } catch {
            await connection.close()
            throw describe(error, configuration, during: "setting up the connection")
        }
        logger.debug("connected", metadata: ["redis": "\(configuration.maskedURL)"])
        return connection
    }

    /// Whether the socket is still open.
    public var isActive: Bool { channel.isActive }

    /// Sends one command and returns its reply. A `-ERR …` reply throws ``RESPError``
    /// (`server`) with the server's message. `timeout` (default: the configuration's
    /// command timeout) bounds the wait; on expiry the connection is closed (its reply
    /// stream can no longer be trusted) and ``RESPError`` (`timeout`) is thrown.
    ///
    /// Runs on the caller's executor (`nonisolated(nonsending)`): called from an actor on this
    /// connection's event loop, the command and its reply cost no thread hop.
    @discardableResult
    public nonisolated(nonsending) func send(_ command: [RESPValue], timeout: Duration? = nil) async throws -> RESPValue {
        let reply = try await submit(command, expectation: .reply, timeout: timeout).reply()
        if case .error(let message) = reply {
            if Self.isReadOnly(message) { throw await demoted(message) }
            throw RESPError(.server, message)
        }
        return reply
    }

    /// Whether a server error says this server is a read-only replica (`READONLY …`, also
    /// inside a script's error): after a failover the old master was demoted.
    public static func isReadOnly(_ message: String) -> Bool {
        message.hasPrefix("READONLY") || message.contains("-READONLY")
    }

    /// Closes a connection whose server turned out to be a replica and returns the
    /// ``RESPError`` (`connection`) to throw: its owner reconnects, and a Sentinel or
    /// failover-list connector then finds the current master.
    private func demoted(_ message: String) async -> RESPError {
        await close()
        return RESPError(.connection, "\(configuration.peer) is a read-only replica now (failover?): \(message)")
    }

    /// Sends one command given as strings (`send("SET", "k", "v")`).
    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await send(arguments.map { RESPValue($0) })
    }

    /// Sends many commands with one flush and returns their replies in order. Error replies
    /// are returned as `.error` values, not thrown; a connection failure throws, and so does
    /// a `READONLY` reply (the server is a replica now: the connection is closed).
    /// Runs on the caller's executor, like ``send(_:timeout:)``.
    public nonisolated(nonsending) func pipeline(_ commands: [[RESPValue]], timeout: Duration? = nil) async throws -> [RESPValue] {
        let deadline = NIODeadline.now() + .nanoseconds((timeout ?? configuration.commandTimeout).nanoseconds)
        let loop = channel.eventLoop
        let batch = commands.map {
            RESPCommand(.array($0), expectation: .reply, deadline: deadline, promise: loop.makePromise(of: RESPValue.self))
        }
        let channel = self.channel
        let peer = configuration.peer
        // One hop to the event loop for the whole batch, one flush.
        loop.execute {
            for c in batch {
                // A write that cannot happen (closed channel) fails the command too.
                channel.write(c).whenFailure { _ in c.promise.fail(RESPError(.connection, "connection to \(peer) is closed")) }
            }
            channel.flush()
        }
        var out: [RESPValue] = []
        out.reserveCapacity(batch.count)
        var readOnly: String?
        for c in batch {
            let reply = try await c.promise.futureResult.reply()
            if case .error(let m) = reply, Self.isReadOnly(m) { readOnly = m }
            out.append(reply)
        }
        if let readOnly { throw await demoted(readOnly) }
        return out
    }

    /// `SUBSCRIBE`s to channels; returns once all are confirmed. Messages arrive on ``pushes``.
    public func subscribe(_ channels: [String]) async throws {
        try await confirm("SUBSCRIBE", channels)
    }

    /// `PSUBSCRIBE`s to glob patterns; returns once all are confirmed.
    public func psubscribe(_ patterns: [String]) async throws {
        try await confirm("PSUBSCRIBE", patterns)
    }

    /// `UNSUBSCRIBE`s from the named channels.
    public func unsubscribe(_ channels: [String]) async throws {
        try await confirm("UNSUBSCRIBE", channels)
    }

    /// `PUNSUBSCRIBE`s from the named patterns.
    public func punsubscribe(_ patterns: [String]) async throws {
        try await confirm("PUNSUBSCRIBE", patterns)
    }

    private func confirm(_ verb: String, _ names: [String]) async throws {
        guard !names.isEmpty else { return }
        let reply = try await submit([RESPValue(verb)] + names.map { RESPValue($0) }, expectation: .confirmations(names.count), timeout: nil).get()
        if case .error(let message) = reply { throw RESPError(.server, message) }
    }

    /// Closes the socket; in-flight commands fail with ``RESPError`` (`connection`).
    public func close() async {
        try? await channel.close().get()
    }

    private func submit(
        _ command: [RESPValue], expectation: RESPReplyRouter.Expectation, timeout: Duration?, flush: Bool = true
    ) -> EventLoopFuture<RESPValue> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let limit = timeout ?? configuration.commandTimeout
        let peer = configuration.peer
        let cmd = RESPCommand(
            .array(command), expectation: expectation, deadline: .now() + .nanoseconds(limit.nanoseconds), promise: promise)
        let written = flush ? channel.writeAndFlush(cmd) : channel.write(cmd)
        written.whenFailure { _ in promise.fail(RESPError(.connection, "connection to \(peer) is closed")) }
        return promise.futureResult
    }

    static func describe(_ error: any Error, _ c: RedisConfiguration, during what: String) -> RESPError {
        let whereTo = "Redis at \(c.peer) (\(c.maskedURL))"
        if let e = error as? RESPError {
            switch e.kind {
            case .server: return RESPError(.server, "\(whereTo) refused \(what == "connecting" ? "the connection" : "setup"): \(e.message)")
            case .connection where c.tls != nil:
                return RESPError(.tls, "TLS connection to \(whereTo) failed (is the server speaking TLS?): \(e.message)")
            default: return RESPError(e.kind, "\(what) to \(whereTo): \(e.message)")
            }
        }
        if error is NIOSSLError || error is BoringSSLError {
            return RESPError(.tls, "TLS handshake with \(whereTo) failed: \(error)")
        }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return RESPError(.timeout, "cannot connect to \(whereTo) within \(c.connectTimeout)")
        }
        return RESPError(.connection, "cannot connect to \(whereTo): \(error)")
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (s, a) = components
        let (m, o) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? Int64.max : m &+ a / 1_000_000_000
    }
}
