import AMQP091
import Testing

@Suite("AMQP091 against RabbitMQ", .serialized)
struct AMQPLiveTests {
    @Test func declarePublishConfirmConsumeAck() async throws {
        guard let url = testAMQPURL() else { return }
        let conn = try await AMQPConnection.connect(try AMQPConfiguration(url: url))
        let ch = try await conn.openChannel()
        let q = uniqueName("t-basic")
        try await ch.exchangeDeclare(q, type: "direct", durable: false, autoDelete: true)
        try await ch.queueDeclare(.init(queue: q, autoDelete: false))
        try await ch.queueBind(queue: q, exchange: q, routingKey: q)
        try await ch.confirmSelect()
        // Larger than one frame: split into several body frames.
        let big = [UInt8](repeating: 7, count: 300_000)
        let r = try await ch.publish(
            exchange: q, routingKey: q,
            properties: .init(contentType: "application/octet-stream", headers: ["n": .int32(1)], deliveryMode: 2), body: big)
        #expect(r.confirmed)
        try await ch.publish(exchange: "", routingKey: q, body: Array("second".utf8))
        let got = try #require(try await ch.get(queue: q))
        #expect(got.body == big)
        #expect(got.properties.headers?["n"] == .int32(1))
        #expect(got.messageCount == 1)
        try await ch.ack(deliveryTag: got.deliveryTag)
        try await ch.basicQos(prefetchCount: 1)
        let stream = try await ch.consume(queue: q, consumerTag: "c1")
        var it = stream.makeAsyncIterator()
        let m = try #require(try await it.next())
        #expect(m.body == Array("second".utf8))
        #expect(!m.redelivered)
        try await ch.ack(deliveryTag: m.deliveryTag)
        try await ch.cancel(consumerTag: "c1")
        #expect(try await it.next() == nil)
        #expect(try await ch.queueDelete(q) == 0)
        try await ch.close()
        try await conn.close()
    }

    @Test func serverChannelCloseIsTypedError() async throws {
        guard let url = testAMQPURL() else { return }
        let conn = try await AMQPConnection.connect(try AMQPConfiguration(url: url))
        let ch = try await conn.openChannel()
        let error = await #expect(throws: AMQPError.self) {
            try await ch.queueDeclare(.init(queue: "does-not-exist-\(uniqueName("x"))", passive: true))
        }
        #expect(error?.kind == .channelClosedByServer)
        #expect(error?.replyCode == 404)
        #expect(error?.replyText?.contains("NOT_FOUND") == true)
        // The channel is gone; the connection still works.
        await #expect(throws: AMQPError.self) { try await ch.queuePurge("x") }
        let ch2 = try await conn.openChannel()
        try await ch2.close()
        try await conn.close()
    }

    @Test func wrongPasswordIsAccessRefused() async throws {
        guard let url = testAMQPURL() else { return }
        var config = try AMQPConfiguration(url: url)
        config.password = "definitely-wrong"
        let error = await #expect(throws: AMQPError.self) { _ = try await AMQPConnection.connect(config) }
        #expect(error?.kind == .accessRefused)
        #expect(error?.replyCode == 403)
        #expect(error?.description.contains("definitely-wrong") == false)
        #expect(error?.description.contains(config.endpoint) == true)
    }

    @Test func unreachablePortFailsFast() async throws {
        let config = try AMQPConfiguration(url: "amqp://guest:secret@127.0.0.1:1/?connection_timeout=2000")
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: AMQPError.self) { _ = try await AMQPConnection.connect(config) }
        #expect(clock.now - start < .seconds(5))
        #expect(error?.kind == .connectFailed)
        #expect(error?.description.contains("127.0.0.1:1") == true)
        #expect(error?.description.contains("secret") == false)
    }
}
