import NIOCore
import NIOPosix

/// A TCP proxy for fault-injection tests: it sits between a client under test and a real
/// server (Redis, RabbitMQ, MongoDB) on 127.0.0.1 and, on command, cuts, resets, black-holes or
/// slows every connection through it.
///
/// ```swift
/// let proxy = try await FaultProxy.start(upstreamHost: "127.0.0.1", upstreamPort: 6379)
/// // connect the client to 127.0.0.1:\(proxy.port) …
/// try await proxy.setMode(.blackHole)
/// try await proxy.setMode(.pass)
/// try await proxy.stop()
/// ```
///
/// All of its state lives on one event loop of its own, so a mode change is seen by every
/// connection at once. It keeps the same listening port for its whole life, also across
/// ``Mode/cut`` (which closes the listener so that new connections are refused) and back.
public final class FaultProxy: Sendable {
    /// What the proxy does to the connections through it.
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        /// Forward bytes both ways unchanged.
        case pass
        /// Close every connection now (an orderly FIN to both sides) and refuse new ones
        /// (the listener is closed: `ECONNREFUSED`) until the mode changes.
        case cut
        /// Reset every connection now (`RST` to both sides, `SO_LINGER` 0) and reset each new
        /// connection as soon as it is accepted, until the mode changes.
        case reset
        /// Keep every socket open and forward nothing either way, as a network partition or a
        /// frozen server would; new connections are accepted and treated the same. Bytes
        /// received meanwhile are held, in order, and forwarded when the mode changes back to
        /// ``pass`` or ``slow(_:)`` (as TCP retransmission would after a partition heals). A
        /// side that closes while black-holed has its peer closed when the mode changes.
        case blackHole
        /// Forward every chunk after the given one-way latency (each direction), in order.
        case slow(Duration)

        public var description: String {
            switch self {
            case .pass: "pass"
            case .cut: "cut"
            case .reset: "reset"
            case .blackHole: "black-hole"
            case .slow(let d): "slow(\(d))"
            }
        }
    }

    /// The port the proxy listens on (127.0.0.1 or the `host` given to ``start(upstreamHost:upstreamPort:host:port:)``).
    public let port: Int
    /// The host the proxy listens on.
    public let host: String
    /// Where connections are forwarded.
    public let upstreamHost: String
    /// Where connections are forwarded.
    public let upstreamPort: Int

    private let group: MultiThreadedEventLoopGroup
    private let loop: any EventLoop
    private let state: NIOLoopBoundBox<FaultProxyState>

    private init(host: String, port: Int, upstreamHost: String, upstreamPort: Int,
                 group: MultiThreadedEventLoopGroup, state: NIOLoopBoundBox<FaultProxyState>) {
        self.host = host
        self.port = port
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.group = group
        self.loop = state.eventLoop
        self.state = state
    }

    /// Starts a proxy in ``Mode/pass`` that forwards to `upstreamHost:upstreamPort`.
    /// - Parameters:
    ///   - upstreamHost: The server's host; default `127.0.0.1`.
    ///   - upstreamPort: The server's port.
    ///   - host: Where the proxy listens; default `127.0.0.1`.
    ///   - port: The port the proxy listens on; default 0 (a free port, see ``port``).
    public static func start(upstreamHost: String = "127.0.0.1", upstreamPort: Int,
                             host: String = "127.0.0.1", port: Int = 0) async throws -> FaultProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        do {
            let box = try await loop.submit {
                NIOLoopBoundBox(FaultProxyState(upstreamHost: upstreamHost, upstreamPort: upstreamPort), eventLoop: loop)
            }.get()
            let bound = try await loop.flatSubmit { box.value.listen(host: host, port: port, box: box) }.get()
            return FaultProxy(host: host, port: bound, upstreamHost: upstreamHost, upstreamPort: upstreamPort,
                              group: group, state: box)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Changes what the proxy does; returns once every open connection has been treated
    /// (cut or reset ones are closed, a refused listener is closed or listening again).
    public func setMode(_ mode: Mode) async throws {
        let box = state
        let host = self.host
        let port = self.port
        try await loop.flatSubmit { box.value.setMode(mode, host: host, port: port, box: box) }.get()
    }

    /// The current mode.
    public var mode: Mode {
        get async throws {
            let box = state
            return try await loop.submit { box.value.mode }.get()
        }
    }

    /// How many client connections are open through the proxy now.
    public var openConnections: Int {
        get async throws {
            let box = state
            return try await loop.submit { box.value.pairs.count }.get()
        }
    }

    /// How many client connections the proxy has accepted since it started (including ones it
    /// reset at once).
    public var acceptedConnections: Int {
        get async throws {
            let box = state
            return try await loop.submit { box.value.accepted }.get()
        }
    }

    /// Closes the listener and every connection and stops the proxy's thread.
    public func stop() async throws {
        let box = state
        let loop = self.loop
        try? await loop.flatSubmit { box.value.shutdown(on: loop) }.get()
        try await group.shutdownGracefully()
    }
}
