import NIOCore
import NIOPosix

/// An echo server on 127.0.0.1 (a free port): the upstream of the proxy tests.
final class EchoServer: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    private init(channel: any Channel) { self.channel = channel }

    static func start() async throws -> EchoServer {
        let ch = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Echo()) } }
            .bind(host: "127.0.0.1", port: 0).get()
        return EchoServer(channel: ch)
    }

    func stop() async { try? await channel.close() }

    private final class Echo: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}

struct ProxyTestTimeout: Error {}
struct ProxyTestClosed: Error { var error: (any Error)? }

/// A client connection that collects what it receives; reads wait on a promise (no polling).
final class ProxyTestClient: Sendable {
    let channel: any Channel
    private let box: NIOLoopBoundBox<Collector>

    private init(channel: any Channel, box: NIOLoopBoundBox<Collector>) {
        self.channel = channel
        self.box = box
    }

    static func connect(port: Int) async throws -> ProxyTestClient {
        let ch = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        let box = try await ch.eventLoop.submit {
            let c = Collector()
            try ch.pipeline.syncOperations.addHandler(c)
            // A reset that came between the connect and this handler closed the channel
            // already: the handler saw no `channelInactive`, so record the close here.
            if !ch.isActive { c.isClosed = true }
            return NIOLoopBoundBox(c, eventLoop: ch.eventLoop)
        }.get()
        return ProxyTestClient(channel: ch, box: box)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Waits until `count` bytes have arrived (fails on close or after `seconds`); returns them all.
    func receive(_ count: Int, within seconds: Int64 = 5) async throws -> String {
        let box = self.box
        let loop = channel.eventLoop
        return try await loop.flatSubmit {
            let c = box.value
            let p = loop.makePromise(of: String.self)
            c.wait(count: count, promise: p)
            loop.scheduleTask(in: .seconds(seconds)) { p.fail(ProxyTestTimeout()) }
            return p.futureResult
        }.get()
    }

    /// Waits until the connection closes (fails after `seconds`); returns the `errno` of the
    /// I/O error it closed with, if any.
    func closed(within seconds: Int64 = 5) async throws -> Int32? {
        let box = self.box
        let loop = channel.eventLoop
        return try await loop.flatSubmit {
            let p = loop.makePromise(of: Void.self)
            box.value.waitClosed(p)
            loop.scheduleTask(in: .seconds(seconds)) { p.fail(ProxyTestTimeout()) }
            return p.futureResult.map { (box.value.error as? IOError)?.errnoCode }
        }.get()
    }

    func close() async { try? await channel.close() }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received = ""
        var isClosed = false
        var error: (any Error)?
        private var readers: [(Int, EventLoopPromise<String>)] = []
        private var closers: [EventLoopPromise<Void>] = []

        func wait(count: Int, promise: EventLoopPromise<String>) {
            readers.append((count, promise))
            settle()
        }

        func waitClosed(_ p: EventLoopPromise<Void>) {
            if isClosed { p.succeed() } else { closers.append(p) }
        }

        private func settle() {
            readers.removeAll { count, p in
                if received.utf8.count >= count { p.succeed(received); return true }
                if isClosed { p.fail(ProxyTestClosed(error: error)); return true }
                return false
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            settle()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.error = error
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            isClosed = true
            settle()
            for c in closers { c.succeed() }
            closers.removeAll()
        }
    }
}
