import NIOCore
import NIOHTTP1

/// Answers one HTTP/1.1 connection of the metrics endpoint: `GET /metrics` (or `HEAD`) gets the
/// Prometheus text from `render`; another method on `/metrics` gets 405, another path 404.
/// Request bodies are ignored; a malformed request gets 400 from NIO's protocol error handler.
/// Every response closes the connection (scrapes are seconds apart), so a stopped server leaves
/// no connection open behind it.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The Prometheus text exposition format's content type.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let render: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            respond(to: h, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let status: HTTPResponseStatus
        var body: [UInt8] = []
        var headers = HTTPHeaders()
        if path == "/metrics" || path == "/metrics/" {
            if request.method == .GET || request.method == .HEAD {
                status = .ok
                body = render()
                headers.add(name: "Content-Type", value: Self.contentType)
            } else {
                status = .methodNotAllowed
                headers.add(name: "Allow", value: "GET, HEAD")
                body = Array("method not allowed: use GET /metrics\n".utf8)
            }
        } else {
            status = .notFound
            body = Array("not found: the metrics are at /metrics\n".utf8)
        }
        if status != .ok { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        var response = HTTPResponseHead(version: request.version, status: status, headers: headers)
        response.headers = headers
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if request.method != .HEAD, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
