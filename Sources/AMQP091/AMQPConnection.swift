import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A connection to an AMQP 0-9-1 server (RabbitMQ) carrying multiplexed channels.
///
/// ```swift
/// let connection = try await AMQPConnection.connect(AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:5672/"))
/// let channel = try await connection.openChannel()
/// ```
/// A connection does not reconnect by itself; higher layers decide what to recover.
public final class AMQPConnection: Sendable {
    /// The configuration it was opened with.
    public let configuration: AMQPConfiguration
    /// Limits agreed with the server.
    public let tuning: AMQPConnectionStateMachine.Tuning
    /// Blocked/unblocked notifications and the final close, in order. One reader.
    public let events: AsyncStream<AMQPConnectionEvent>
    let channel: any Channel
    let handler: NIOLoopBound<AMQPConnectionHandler>
    private let channelNumbers = Mutex<(next: UInt16, used: Set<UInt16>)>((1, []))

    private init(
        configuration: AMQPConfiguration, tuning: AMQPConnectionStateMachine.Tuning, events: AsyncStream<AMQPConnectionEvent>,
        channel: any Channel, handler: NIOLoopBound<AMQPConnectionHandler>
    ) {
        self.configuration = configuration
        self.tuning = tuning
        self.events = events
        self.channel = channel
        self.handler = handler
    }

    /// The event loop the connection runs on.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// Whether the socket is still open.
    public var isOpen: Bool { channel.isActive }

    /// Opens a connection: TCP (and TLS), protocol header, PLAIN login, tuning, virtual host.
    /// Everything must finish within `configuration.connectTimeout`. Errors name
    /// `host:port` (never the password): `connectFailed`, `timeout`, `accessRefused`…
    public static func connect(
        _ configuration: AMQPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "amqp091")
    ) async throws -> AMQPConnection {
        let el = group.next()
        let endpoint = configuration.endpoint
        let (events, eventsContinuation) = AsyncStream<AMQPConnectionEvent>.makeStream()
        var props: AMQPTable = [
            "product": .string("swift-celery AMQP091"),
            "platform": .string("Swift"),
            "capabilities": .table([
                "publisher_confirms": .bool(true), "consumer_cancel_notify": .bool(true), "basic.nack": .bool(true),
                "connection.blocked": .bool(true), "authentication_failure_close": .bool(true),
                "exchange_exchange_bindings": .bool(true),
            ]),
        ]
        if let name = configuration.connectionName { props["connection_name"] = .string(name) }
        let machine = AMQPConnectionStateMachine(
            user: configuration.user, password: configuration.password, virtualHost: configuration.virtualHost,
            proposal: .init(
                frameMax: configuration.frameMax, channelMax: configuration.channelMax,
                heartbeatSeconds: UInt16(clamping: configuration.heartbeat.components.seconds)),
            clientProperties: props, endpoint: endpoint)
        let timeout = TimeAmount.nanoseconds(
            configuration.connectTimeout.components.seconds * 1_000_000_000 + configuration.connectTimeout.components.attoseconds / 1_000_000_000)
        let deadline = NIODeadline.now() + timeout
        let handshake = el.makePromise(of: AMQPConnectionStateMachine.Tuning.self)
        let handler = try await el.submit {
            NIOLoopBound(
                AMQPConnectionHandler(connection: machine, handshake: handshake, events: eventsContinuation, endpoint: endpoint, logger: logger),
                eventLoop: el)
        }.get()
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let host = configuration.host
        let bootstrap = ClientBootstrap(group: el)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let isIP = host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
                        try ch.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: isIP ? nil : host))
                    }
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMQPFrameDecoder(maxFrameSize: configuration.frameMax)))
                    try ch.pipeline.syncOperations.addHandler(MessageToByteHandler(AMQPFrameEncoder()))
                    try ch.pipeline.syncOperations.addHandler(handler.value)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch let error as ChannelError where error == .connectTimeout(timeout) {
            throw AMQPError(.timeout, "connecting to \(configuration.maskedURL) timed out after \(configuration.connectTimeout)")
        } catch {
            throw AMQPError(.connectFailed, "cannot connect to \(configuration.maskedURL) (\(endpoint)): \(error)")
        }
        let timer = el.scheduleTask(deadline: deadline) {
            handshake.fail(AMQPError(.timeout, "AMQP handshake with \(configuration.maskedURL) did not finish within \(configuration.connectTimeout)"))
            channel.close(promise: nil)
        }
        do {
            let tuning = try await handshake.futureResult.get()
            timer.cancel()
            return AMQPConnection(configuration: configuration, tuning: tuning, events: events, channel: channel, handler: handler)
        } catch var error as AMQPError {
            timer.cancel()
            channel.close(promise: nil)
            if !error.message.contains(configuration.maskedURL) { error.message += " [\(configuration.maskedURL)]" }
            throw error
        }
    }

    /// Opens a new channel (lowest free number).
    public func openChannel() async throws -> AMQPChannel {
        let number = try channelNumbers.withLock { state -> UInt16 in
            let limit = tuning.channelMax == 0 ? UInt16.max : tuning.channelMax
            for _ in 0..<limit {
                let n = state.next
                state.next = n >= limit ? 1 : n + 1
                if !state.used.contains(n) {
                    state.used.insert(n)
                    return n
                }
            }
            throw AMQPError(.invalidState, "all \(limit) channels of \(configuration.endpoint) are in use")
        }
        let handler = self.handler
        let acks = AMQPAckQueue()
        do {
            try await eventLoop.flatSubmit { handler.value.openChannel(number, acks: acks) }.get()
        } catch {
            release(number)
            throw error
        }
        let closed = try await eventLoop.submit { handler.value.channelClosedFuture(number) }.get()
        closed?.whenComplete { [weak self] _ in self?.release(number) }
        return AMQPChannel(connection: self, number: number, acks: acks)
    }

    func release(_ number: UInt16) {
        _ = channelNumbers.withLock { $0.used.remove(number) }
    }

    /// Closes the connection cleanly (`connection.close` 200, then waits for the close-ok
    /// and the socket). Channels close with it; their consumers finish.
    public func close() async throws {
        let handler = self.handler
        guard channel.isActive else { return }
        try await eventLoop.flatSubmit { handler.value.close() }.get()
    }

    /// Waits until the connection is closed (by us, the server or a failure).
    public func closed() async {
        try? await channel.closeFuture.get()
    }
}
