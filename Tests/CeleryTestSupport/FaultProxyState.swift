import NIOCore
import NIOPosix

/// One client connection through the proxy and its upstream connection (once connected).
final class FaultProxyPair {
    let downstream: any Channel
    var upstream: (any Channel)?
    /// Set when one side closed while black-holed: the other is closed when the mode changes.
    var closeOnHeal = false

    init(downstream: any Channel) { self.downstream = downstream }

    var channels: [any Channel] { [downstream] + (upstream.map { [$0] } ?? []) }
}

/// The proxy's state; lives on the proxy's event loop (see ``FaultProxy``).
final class FaultProxyState {
    let upstreamHost: String
    let upstreamPort: Int
    var mode: FaultProxy.Mode = .pass
    var listener: (any Channel)?
    var pairs: [ObjectIdentifier: FaultProxyPair] = [:]
    var accepted = 0
    /// Forwarders that hold bytes while black-holed or whose writes are scheduled (slow).
    var forwarders: [ObjectIdentifier: FaultProxyForwarder] = [:]

    init(upstreamHost: String, upstreamPort: Int) {
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
    }

    /// Binds the listener; succeeds with the bound port.
    func listen(host: String, port: Int, box: NIOLoopBoundBox<FaultProxyState>) -> EventLoopFuture<Int> {
        let loop = box.eventLoop
        return ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try box.value.accept(channel, box: box) }
            }
            .bind(host: host, port: port)
            .flatMapThrowing { listener in
                box.value.listener = listener
                guard let p = listener.localAddress?.port else { throw ChannelError.unknownLocalAddress }
                return p
            }
    }

    func accept(_ downstream: any Channel, box: NIOLoopBoundBox<FaultProxyState>) throws {
        accepted += 1
        switch mode {
        case .cut:
            try downstream.pipeline.syncOperations.addHandler(FaultProxyCloseOnActive(reset: false))
            return
        case .reset:
            try downstream.pipeline.syncOperations.addHandler(FaultProxyCloseOnActive(reset: true))
            return
        case .pass, .blackHole, .slow:
            break
        }
        let pair = FaultProxyPair(downstream: downstream)
        let key = ObjectIdentifier(downstream)
        pairs[key] = pair
        let down = FaultProxyForwarder(peer: nil, box: box, pairKey: key)
        forwarders[ObjectIdentifier(down)] = down
        try downstream.pipeline.syncOperations.addHandler(down)
        let boundDown = NIOLoopBound(down, eventLoop: box.eventLoop)
        ClientBootstrap(group: box.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: false)
            .connect(host: upstreamHost, port: upstreamPort)
            .whenComplete { result in
                let state = box.value
                switch result {
                case .failure:
                    downstream.close(promise: nil)
                case .success(let upstream):
                    guard let pair = state.pairs[key], downstream.isActive else {
                        upstream.close(promise: nil)
                        return
                    }
                    pair.upstream = upstream
                    let up = FaultProxyForwarder(peer: downstream, box: box, pairKey: key)
                    state.forwarders[ObjectIdentifier(up)] = up
                    do { try upstream.pipeline.syncOperations.addHandler(up) } catch {
                        upstream.close(promise: nil)
                        downstream.close(promise: nil)
                        return
                    }
                    boundDown.value.peer = upstream
                    boundDown.value.releaseHeld()
                    upstream.setOption(.autoRead, value: true).whenFailure { _ in upstream.close(promise: nil) }
                    downstream.setOption(.autoRead, value: true).whenFailure { _ in downstream.close(promise: nil) }
                }
            }
    }

    /// One side of a pair closed.
    func closed(pairKey: ObjectIdentifier, forwarder: FaultProxyForwarder) {
        forwarders[ObjectIdentifier(forwarder)] = nil
        guard let pair = pairs[pairKey] else { return }
        if mode == .blackHole {
            pair.closeOnHeal = true
            if !pair.channels.contains(where: { $0.isActive }) { pairs[pairKey] = nil }
            return
        }
        pairs[pairKey] = nil
        for c in pair.channels { c.close(promise: nil) }
    }

    func setMode(_ new: FaultProxy.Mode, host: String, port: Int, box: NIOLoopBoundBox<FaultProxyState>) -> EventLoopFuture<Void> {
        let loop = box.eventLoop
        let old = mode
        mode = new
        var work: [EventLoopFuture<Void>] = []
        switch new {
        case .cut:
            if let l = listener {
                listener = nil
                work.append(l.close())
            }
            let all = pairs.values.flatMap(\.channels)
            pairs.removeAll()
            for c in all { work.append(c.close().recover { _ in }) }
        case .reset:
            let all = pairs.values.flatMap(\.channels)
            pairs.removeAll()
            for c in all { work.append(Self.reset(c)) }
        case .blackHole:
            break
        case .pass, .slow:
            if old == .blackHole {
                for f in forwarders.values { f.releaseHeld() }
                for (k, p) in pairs where p.closeOnHeal {
                    pairs[k] = nil
                    for c in p.channels { c.close(promise: nil) }
                }
            }
        }
        let rebind: EventLoopFuture<Void>
        if listener == nil, new != .cut {
            rebind = listen(host: host, port: port, box: box).map { _ in }
        } else {
            rebind = loop.makeSucceededVoidFuture()
        }
        work.append(rebind)
        return EventLoopFuture.andAllSucceed(work, on: loop)
    }

    func shutdown(on loop: any EventLoop) -> EventLoopFuture<Void> {
        mode = .cut
        var work: [EventLoopFuture<Void>] = []
        if let l = listener { work.append(l.close().recover { _ in }) }
        listener = nil
        for c in pairs.values.flatMap(\.channels) { work.append(c.close().recover { _ in }) }
        pairs.removeAll()
        return EventLoopFuture.andAllComplete(work, on: loop)
    }

    /// Closes a channel with an `RST` (`SO_LINGER` on with 0 seconds).
    @discardableResult
    static func reset(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let provider = channel as? SocketOptionProvider else { return channel.close().recover { _ in } }
        return provider.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            .recover { _ in }
            .flatMap { channel.close() }
            .recover { _ in }
    }
}

/// Closes (or resets) a connection accepted while the proxy refuses connections, once it is
/// active (the initializer runs before the channel is registered).
final class FaultProxyCloseOnActive: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let reset: Bool

    init(reset: Bool) { self.reset = reset }

    func channelActive(context: ChannelHandlerContext) {
        if reset { FaultProxyState.reset(context.channel) } else { context.close(promise: nil) }
    }
}
