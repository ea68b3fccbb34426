import NIOCore

/// Forwards what one side of a proxied connection reads to the other side, as the proxy's
/// mode says: at once, later (slow), or not until the mode changes (black hole).
final class FaultProxyForwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// The other side; `nil` for a client connection whose upstream is still connecting.
    var peer: (any Channel)?
    private let box: NIOLoopBoundBox<FaultProxyState>
    private let pairKey: ObjectIdentifier
    /// Bytes read while black-holed or before the upstream connected, in order.
    private var held: [ByteBuffer] = []
    /// When the last scheduled (slow) write goes out: later chunks never overtake it.
    private var lastDeadline = NIODeadline.uptimeNanoseconds(0)

    init(peer: (any Channel)?, box: NIOLoopBoundBox<FaultProxyState>, pairKey: ObjectIdentifier) {
        self.peer = peer
        self.box = box
        self.pairKey = pairKey
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        held.append(unwrapInboundIn(data))
        releaseHeld()
    }

    private func forward(_ bytes: ByteBuffer, to peer: any Channel) {
        let latency: TimeAmount
        switch box.value.mode {
        case .slow(let d):
            let c = d.components
            latency = .nanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000)
        default:
            latency = .zero
        }
        let now = NIODeadline.now()
        if latency == .zero, lastDeadline <= now {
            peer.writeAndFlush(bytes, promise: nil)
            return
        }
        let deadline = max(now + latency, lastDeadline)
        lastDeadline = deadline
        peer.eventLoop.scheduleTask(deadline: deadline) { peer.writeAndFlush(bytes, promise: nil) }
    }

    /// Forwards what was held, unless still black-holed.
    func releaseHeld() {
        guard let peer, box.value.mode != .blackHole, !held.isEmpty else { return }
        let chunks = held
        held.removeAll()
        for c in chunks { forward(c, to: peer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        box.value.closed(pairKey: pairKey, forwarder: self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
