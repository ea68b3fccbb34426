import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import AMQP091

/// The handler driven by scripted server frames on an `EmbeddedChannel` (virtual time).
@Suite("AMQP connection handler")
struct AMQPConnectionHandlerTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let handshake: EventLoopPromise<AMQPConnectionStateMachine.Tuning>
        let events: AsyncStream<AMQPConnectionEvent>
        let handler: AMQPConnectionHandler

        init(heartbeat: UInt16) throws {
            handshake = channel.eventLoop.makePromise()
            let (events, continuation) = AsyncStream<AMQPConnectionEvent>.makeStream()
            self.events = events
            let machine = AMQPConnectionStateMachine(
                user: "guest", password: "guest", virtualHost: "/",
                proposal: .init(frameMax: 131_072, channelMax: 10, heartbeatSeconds: heartbeat), clientProperties: [:], endpoint: "test:5672")
            handler = AMQPConnectionHandler(connection: machine, handshake: handshake, events: continuation, endpoint: "test:5672", logger: Logger(label: "test"))
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMQPFrameDecoder()))
            try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(AMQPFrameEncoder()))
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 5672)).wait()
        }

        func serverSends(_ frames: AMQPFrame...) throws {
            var b = ByteBuffer()
            for f in frames { try AMQPFrameEncoder.write(f, into: &b) }
            try channel.writeInbound(b)
        }

        /// Frames the client wrote (after the protocol header).
        func clientFrames() throws -> [AMQPFrame] {
            var out: [AMQPFrame] = []
            while var b = try channel.readOutbound(as: ByteBuffer.self) {
                if b.readableBytesView.starts(with: AMQPFrame.protocolHeader) { b.moveReaderIndex(forwardBy: 8) }
                while let f = try AMQPFrameDecoder.parse(&b, maxFrameSize: 131_072) { out.append(f) }
            }
            return out
        }

        func open(heartbeat: UInt16) throws {
            try serverSends(
                AMQPFrame(channel: 0, payload: .method(.connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "PLAIN", locales: "en_US"))),
                AMQPFrame(channel: 0, payload: .method(.connectionTune(channelMax: 0, frameMax: 131_072, heartbeat: heartbeat))),
                AMQPFrame(channel: 0, payload: .method(.connectionOpenOk)))
        }
    }

    @Test func handshakeThenHeartbeatsThenMissedHeartbeatFails() async throws {
        let h = try Harness(heartbeat: 1)
        try h.open(heartbeat: 1)
        let tuning = try h.handshake.futureResult.wait()
        #expect(tuning.heartbeatSeconds == 1)
        let sent = try h.clientFrames().map(\.payload)
        #expect(sent.count == 3)  // start-ok, tune-ok, open
        h.channel.embeddedEventLoop.advanceTime(by: .milliseconds(600))
        #expect(try h.clientFrames().map(\.payload) == [.heartbeat])
        // The server's heartbeat keeps the connection alive.
        try h.serverSends(AMQPFrame(channel: 0, payload: .heartbeat))
        h.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
        #expect(h.channel.isActive)
        // Then silence for more than two intervals.
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(!h.channel.isActive)
        var last: AMQPConnectionEvent?
        for await e in h.events { last = e }
        guard case .closed(let error?) = last else { Issue.record("expected a failure event, got \(String(describing: last))"); return }
        #expect(error.kind == .heartbeatMissed)
    }

    @Test func blockedUnblockedAndServerCloseAreReported() async throws {
        let h = try Harness(heartbeat: 0)
        try h.open(heartbeat: 0)
        _ = try h.handshake.futureResult.wait()
        try h.serverSends(
            AMQPFrame(channel: 0, payload: .method(.connectionBlocked(reason: "low on memory"))),
            AMQPFrame(channel: 0, payload: .method(.connectionUnblocked)),
            AMQPFrame(channel: 0, payload: .method(.connectionClose(.init(replyCode: 320, replyText: "CONNECTION_FORCED - broker forced connection closure")))))
        var events: [AMQPConnectionEvent] = []
        for await e in h.events { events.append(e) }
        #expect(events.count == 3)
        #expect(events.prefix(2) == [.blocked(reason: "low on memory"), .unblocked])
        guard case .closed(let error?) = events.last else { Issue.record("expected a close event"); return }
        #expect(error.kind == .connectionClosedByServer)
        #expect(error.replyCode == 320)
        #expect(try h.clientFrames().last?.payload == .method(.connectionCloseOk))
    }

    @Test func pendingRequestsFailWhenTheConnectionDrops() throws {
        let h = try Harness(heartbeat: 0)
        try h.open(heartbeat: 0)
        _ = try h.handshake.futureResult.wait()
        let opened = h.handler.openChannel(1)
        try h.serverSends(AMQPFrame(channel: 1, payload: .method(.channelOpenOk)))
        try opened.wait()
        _ = h.handler.request(1, .confirmSelect(noWait: false))
        try h.serverSends(AMQPFrame(channel: 1, payload: .method(.confirmSelectOk)))
        let confirm = h.handler.publish(1, exchange: "", routingKey: "q", mandatory: false, properties: .init(), body: ByteBuffer(string: "x"))
        let declare = h.handler.request(1, .queueDeclare(.init(queue: "q")))
        h.channel.pipeline.fireChannelInactive()
        #expect(throws: AMQPError.self) { try confirm.wait() }
        #expect(throws: AMQPError.self) { try declare.wait() }
    }

    @Test func wrongCredentialsWithoutCloseIsReportedAsAccessRefused() throws {
        let h = try Harness(heartbeat: 0)
        try h.serverSends(
            AMQPFrame(channel: 0, payload: .method(.connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "PLAIN", locales: "en_US"))))
        h.channel.pipeline.fireChannelInactive()
        let e = #expect(throws: AMQPError.self) { try h.handshake.futureResult.wait() }
        #expect(e?.kind == .accessRefused)
    }
}
