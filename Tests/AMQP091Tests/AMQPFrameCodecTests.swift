import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import AMQP091

/// Every field-table type, nested.
let everyFieldType: AMQPTable = [
    "t": .bool(true), "f-bool": .bool(false), "b": .int8(-5), "B": .uint8(250), "s": .int16(-30000), "u": .uint16(60000),
    "I": .int32(-2_000_000_000), "i": .uint32(4_000_000_000), "l": .int64(-(1 << 60)), "f": .float(1.5), "d": .double(-2.25),
    "D": .decimal(scale: 2, value: 12345), "S": .string("héllo"), "x": .bytes([0, 1, 255]),
    "A": .array([.int32(1), .string("two"), .void, .array([.bool(true)]), .table(["k": .double(3)])]),
    "T": .timestamp(1_700_000_000), "F": .table(["inner": .table(["deeper": .int64(7)]), "empty": .table([:])]), "V": .void,
]

func encode(_ frames: [AMQPFrame]) throws -> ByteBuffer {
    var b = ByteBuffer()
    for f in frames { try AMQPFrameEncoder.write(f, into: &b) }
    return b
}

/// A sample of frames of every type, including the methods with content.
func sampleFrames() -> [AMQPFrame] {
    let props = AMQPBasicProperties(
        contentType: "application/json", contentEncoding: "utf-8", headers: everyFieldType, deliveryMode: 2, priority: 9,
        correlationId: "c", replyTo: "r", expiration: "60000", messageId: "m", timestamp: 1234, type: "t", userId: "guest",
        appId: "a", clusterId: "")
    let methods: [AMQPMethod] = [
        .connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: ["product": .string("RabbitMQ")], mechanisms: "PLAIN AMQPLAIN", locales: "en_US"),
        .connectionStartOk(clientProperties: everyFieldType, mechanism: "PLAIN", response: [0, 103, 0, 103], locale: "en_US"),
        .connectionTune(channelMax: 2047, frameMax: 131072, heartbeat: 60), .connectionTuneOk(channelMax: 1, frameMax: 4096, heartbeat: 0),
        .connectionOpen(virtualHost: "/"), .connectionOpenOk,
        .connectionClose(.init(replyCode: 320, replyText: "CONNECTION_FORCED", classId: 0, methodId: 0)), .connectionCloseOk,
        .connectionBlocked(reason: "low on memory"), .connectionUnblocked, .channelOpen, .channelOpenOk, .channelFlow(active: true),
        .channelFlowOk(active: false), .channelClose(.init(replyCode: 404, replyText: "NOT_FOUND", classId: 50, methodId: 10)), .channelCloseOk,
        .exchangeDeclare(.init(exchange: "celery", type: "direct", durable: true, arguments: ["alternate-exchange": .string("ae")])),
        .exchangeDeclareOk, .exchangeDelete(exchange: "e", ifUnused: true, noWait: false), .exchangeDeleteOk,
        .exchangeBind(destination: "d", source: "s", routingKey: "#.q", noWait: false, arguments: ["k": .int32(1)]), .exchangeBindOk,
        .queueDeclare(.init(queue: "q", durable: true, exclusive: false, autoDelete: true, arguments: ["x-queue-type": .string("quorum")])),
        .queueDeclareOk(queue: "q", messageCount: 5, consumerCount: 2),
        .queueBind(queue: "q", exchange: "e", routingKey: "rk", noWait: false, arguments: [:]), .queueBindOk,
        .queuePurge(queue: "q", noWait: false), .queuePurgeOk(messageCount: 3), .queueDelete(queue: "q", ifUnused: false, ifEmpty: true, noWait: false),
        .queueDeleteOk(messageCount: 0), .basicQos(prefetchSize: 0, prefetchCount: 4, global: true), .basicQosOk,
        .basicConsume(.init(queue: "q", consumerTag: "ct", noAck: false, exclusive: true)), .basicConsumeOk(consumerTag: "ct"),
        .basicCancel(consumerTag: "ct", noWait: false), .basicCancelOk(consumerTag: "ct"),
        .basicGet(queue: "q", noAck: true), .basicGetEmpty, .basicAck(deliveryTag: 1 << 40, multiple: true),
        .basicReject(deliveryTag: 2, requeue: false), .basicNack(deliveryTag: 3, multiple: true, requeue: true),
        .basicRecover(requeue: true), .basicRecoverOk, .confirmSelect(noWait: false), .confirmSelectOk,
    ]
    var frames = methods.enumerated().map { AMQPFrame(channel: UInt16($0.offset % 3), payload: .method($0.element)) }
    frames.append(AMQPFrame(channel: 0, payload: .heartbeat))
    let body = ByteBuffer(bytes: Array(repeating: UInt8(ascii: "z"), count: 5_000))
    frames.append(AMQPFrame(channel: 5, payload: .method(.basicPublish(exchange: "", routingKey: "celery", mandatory: true, immediate: false))))
    frames += AMQPFrame.contentFrames(channel: 5, properties: props, body: body, frameMax: 4096)
    frames.append(AMQPFrame(channel: 5, payload: .method(.basicDeliver(consumerTag: "ct", deliveryTag: 9, redelivered: true, exchange: "", routingKey: "celery"))))
    frames += AMQPFrame.contentFrames(channel: 5, properties: .init(), body: ByteBuffer(), frameMax: 4096)
    frames.append(AMQPFrame(channel: 5, payload: .method(.basicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "x", routingKey: "y"))))
    frames.append(AMQPFrame(channel: 5, payload: .method(.basicGetOk(deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q", messageCount: 7))))
    return frames
}

@Suite("AMQP frame codec")
struct AMQPFrameCodecTests {
    @Test func everyFieldTypeRoundTrips() throws {
        var b = ByteBuffer()
        try b.amqpWriteTable(everyFieldType)
        let decoded = try b.amqpReadTable()
        #expect(decoded == everyFieldType)
        #expect(b.readableBytes == 0)
    }

    @Test func fieldTypeLettersAreRabbitMQs() throws {
        let expected: [(AMQPFieldValue, Character)] = [
            (.bool(true), "t"), (.int8(1), "b"), (.uint8(1), "B"), (.int16(1), "s"), (.uint16(1), "u"), (.int32(1), "I"),
            (.uint32(1), "i"), (.int64(1), "l"), (.float(1), "f"), (.double(1), "d"), (.decimal(scale: 0, value: 1), "D"),
            (.string("a"), "S"), (.bytes([1]), "x"), (.array([]), "A"), (.timestamp(1), "T"), (.table([:]), "F"), (.void, "V"),
        ]
        for (value, letter) in expected {
            var b = ByteBuffer()
            try b.amqpWriteFieldValue(value)
            #expect(b.readInteger(as: UInt8.self) == UInt8(ascii: letter.unicodeScalars.first!))
        }
        // `L` (the spec's 64-bit integer) is read as a signed 64-bit integer.
        var b = ByteBuffer(bytes: [UInt8(ascii: "L"), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])
        #expect(try b.amqpReadFieldValue(depth: 0) == .int64(-2))
    }

    @Test func everyFrameRoundTripsWholeAndBatched() throws {
        let frames = sampleFrames()
        var whole = try encode(frames)
        var decoded: [AMQPFrame] = []
        while let f = try AMQPFrameDecoder.parse(&whole, maxFrameSize: 131_072) { decoded.append(f) }
        #expect(decoded == frames)
        #expect(whole.readableBytes == 0)
    }

    @Test func decoderVerifierByteAtATimeWholeAndBatched() throws {
        let frames = sampleFrames()
        let pairs = try frames.map { (try encode([$0]), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { AMQPFrameDecoder(maxFrameSize: 8192) }
    }

    @Test func contentIsSplitByFrameMax() throws {
        let body = ByteBuffer(bytes: Array(repeating: 1, count: 10_000))
        let frames = AMQPFrame.contentFrames(channel: 1, properties: .init(), body: body, frameMax: 4096)
        #expect(frames.count == 1 + 3)  // header + 4088 + 4088 + 1824
        for f in frames.dropFirst() {
            guard case .body(let b) = f.payload else { Issue.record("expected a body frame"); continue }
            #expect(b.readableBytes <= 4096 - 8)
        }
        #expect(try encode(frames).readableBytes <= 4 * 4096)
    }

    @Test func oversizedFrameIsAClearError() throws {
        var b = try encode([AMQPFrame(channel: 1, payload: .body(ByteBuffer(bytes: Array(repeating: 0, count: 5000))))])
        let error = #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&b, maxFrameSize: 4096) }
        #expect(error?.kind == .frameTooLarge)
        // Rejected from the 7-byte header alone, before the payload arrives.
        var header = ByteBuffer(bytes: [3, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&header, maxFrameSize: 131_072) }
    }

    @Test func malformedFramesAreClearErrors() throws {
        // Wrong frame-end octet.
        var bad = try encode([AMQPFrame(channel: 0, payload: .heartbeat)])
        bad.setInteger(UInt8(0xAB), at: bad.writerIndex - 1)
        #expect((try? AMQPFrameDecoder.parse(&bad, maxFrameSize: 4096)) == nil)
        var bad2 = try encode([AMQPFrame(channel: 0, payload: .heartbeat)])
        bad2.setInteger(UInt8(0xAB), at: bad2.writerIndex - 1)
        let e1 = #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&bad2, maxFrameSize: 4096) }
        #expect(e1?.kind == .malformedFrame)
        // Unknown frame type.
        var unknown = ByteBuffer(bytes: [9, 0, 0, 0, 0, 0, 0, 0xCE])
        #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&unknown, maxFrameSize: 4096) }
        // Unknown method.
        var m = ByteBuffer(bytes: [1, 0, 1, 0, 0, 0, 4, 0, 99, 0, 1, 0xCE])
        #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&m, maxFrameSize: 4096) }
        // Truncated arguments: a short string announcing more bytes than the frame has.
        var t = ByteBuffer(bytes: [1, 0, 1, 0, 0, 0, 6, 0, 60, 0, 21, 200, 65, 0xCE])
        let e2 = #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&t, maxFrameSize: 4096) }
        #expect(e2?.kind == .malformedFrame)
        // Bad field type inside a table.
        var table = ByteBuffer()
        table.writeInteger(UInt32(3))
        table.writeBytes([1, UInt8(ascii: "k"), UInt8(ascii: "?")])
        #expect(throws: AMQPError.self) { _ = try table.amqpReadTable() }
        // A server answering with its own protocol header.
        var header = ByteBuffer(bytes: Array("AMQP".utf8) + [0, 0, 9, 1])
        let e3 = #expect(throws: AMQPError.self) { _ = try AMQPFrameDecoder.parse(&header, maxFrameSize: 4096) }
        #expect(e3?.kind == .protocolViolation)
    }

    @Test func garbageClosesTheChannelWithoutCrashing() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(AMQPFrameDecoder()))
        var good = try encode([AMQPFrame(channel: 0, payload: .heartbeat)])
        try channel.writeInbound(good)
        #expect(try channel.readInbound(as: AMQPFrame.self) == AMQPFrame(channel: 0, payload: .heartbeat))
        good = ByteBuffer(bytes: [1, 0, 1, 0, 0, 0, 2, 0xDE, 0xAD, 0x00])
        #expect(throws: AMQPError.self) { try channel.writeInbound(good) }
        _ = try? channel.finish()
    }

    @Test func truncatedInputAtEOFIsDroppedCleanly() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(AMQPFrameDecoder()))
        var partial = try encode([AMQPFrame(channel: 1, payload: .method(.basicQosOk))])
        partial = partial.getSlice(at: 0, length: partial.readableBytes - 3)!
        try channel.writeInbound(partial)
        #expect(try channel.readInbound(as: AMQPFrame.self) == nil)
        channel.pipeline.fireChannelInactive()
        #expect(try channel.readInbound(as: AMQPFrame.self) == nil)
    }
}
