import NIOCore
import Testing

@testable import AMQP091

@Suite("AMQP channel and connection state machines")
struct AMQPStateMachineTests {
    typealias A = AMQPChannelStateMachine.Action

    @Test func requestsAreSequential() {
        var m = AMQPChannelStateMachine(channel: 1)
        #expect(m.request(1, .queueDeclare(.init(queue: "a"))) == [.send(.queueDeclare(.init(queue: "a")))])
        #expect(m.request(2, .queueBind(queue: "a", exchange: "e", routingKey: "a", noWait: false, arguments: [:])) == [])
        #expect(m.request(3, .basicQos(prefetchSize: 0, prefetchCount: 1, global: false)) == [])
        let ok = AMQPMethod.queueDeclareOk(queue: "a", messageCount: 0, consumerCount: 0)
        #expect(m.receive(ok) == [.complete(1, .method(ok)), .send(.queueBind(queue: "a", exchange: "e", routingKey: "a", noWait: false, arguments: [:]))])
        #expect(m.receive(.queueBindOk) == [.complete(2, .method(.queueBindOk)), .send(.basicQos(prefetchSize: 0, prefetchCount: 1, global: false))])
        #expect(m.receive(.basicQosOk) == [.complete(3, .method(.basicQosOk))])
    }

    @Test func unexpectedReplyIsAProtocolError() {
        var m = AMQPChannelStateMachine(channel: 2)
        _ = m.request(1, .basicQos(prefetchSize: 0, prefetchCount: 1, global: false))
        let actions = m.receive(.queueBindOk)
        #expect(actions.first == .send(.channelClose(.init(replyCode: 505, replyText: "UNEXPECTED_FRAME"))))
        guard case .fail(1, let e) = actions[1] else { Issue.record("expected the request to fail"); return }
        #expect(e.kind == .protocolViolation)
        #expect(!m.isOpen)
        guard case .fail(9, _) = m.request(9, .basicQos(prefetchSize: 0, prefetchCount: 1, global: false)).first else {
            Issue.record("a closed channel must refuse requests")
            return
        }
    }

    @Test func serverChannelCloseFailsPendingWithReplyCode() {
        var m = AMQPChannelStateMachine(channel: 3)
        _ = m.request(1, .queueDeclare(.init(queue: "x", passive: true)))
        _ = m.request(2, .queuePurge(queue: "x", noWait: false))
        let actions = m.receive(.channelClose(.init(replyCode: 404, replyText: "NOT_FOUND - no queue 'x'", classId: 50, methodId: 10)))
        #expect(actions.first == .send(.channelCloseOk))
        var failed: [UInt64] = []
        for case .fail(let id, let e) in actions {
            failed.append(id)
            #expect(e.kind == .channelClosedByServer)
            #expect(e.replyCode == 404)
            #expect(e.classId == 50 && e.methodId == 10)
        }
        #expect(failed == [1, 2])
        guard case .closed(let e?) = actions.last else { Issue.record("expected closed"); return }
        #expect(e.replyText == "NOT_FOUND - no queue 'x'")
    }

    @Test func contentIsAssembledFromFrames() {
        var m = AMQPChannelStateMachine(channel: 1)
        #expect(m.receive(.basicDeliver(consumerTag: "c", deliveryTag: 5, redelivered: true, exchange: "", routingKey: "q")) == [])
        let props = AMQPBasicProperties(contentType: "application/json", headers: ["a": .int32(1)])
        #expect(m.receiveHeader(bodySize: 5, properties: props) == [])
        #expect(m.receiveBody(ByteBuffer(string: "he")) == [])
        let done = m.receiveBody(ByteBuffer(string: "llo"))
        let expected = AMQPMessage(
            deliveryTag: 5, redelivered: true, exchange: "", routingKey: "q", consumerTag: "c", properties: props, body: Array("hello".utf8))
        #expect(done == [.deliver(consumerTag: "c", expected)])
        // Empty body: complete at the header.
        _ = m.receive(.basicDeliver(consumerTag: "c", deliveryTag: 6, redelivered: false, exchange: "", routingKey: "q"))
        guard case .deliver(_, let empty) = m.receiveHeader(bodySize: 0, properties: .init()).first else {
            Issue.record("expected a delivery")
            return
        }
        #expect(empty.body.isEmpty && empty.deliveryTag == 6)
        // A body longer than announced is a protocol error.
        _ = m.receive(.basicDeliver(consumerTag: "c", deliveryTag: 7, redelivered: false, exchange: "", routingKey: "q"))
        _ = m.receiveHeader(bodySize: 1, properties: .init())
        #expect(m.receiveBody(ByteBuffer(string: "toolong")).first == .send(.channelClose(.init(replyCode: 505, replyText: "UNEXPECTED_FRAME"))))
    }

    @Test func getOkAndGetEmptyAnswerBasicGet() {
        var m = AMQPChannelStateMachine(channel: 1)
        _ = m.request(1, .basicGet(queue: "q", noAck: false))
        _ = m.request(2, .basicGet(queue: "q", noAck: false))
        #expect(m.receive(.basicGetOk(deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q", messageCount: 0)) == [])
        let actions = m.receiveHeader(bodySize: 0, properties: .init())
        #expect(actions == [
            .complete(1, .message(AMQPMessage(deliveryTag: 1, routingKey: "q", messageCount: 0))), .send(.basicGet(queue: "q", noAck: false)),
        ])
        #expect(m.receive(.basicGetEmpty) == [.complete(2, .empty)])
    }

    @Test func publisherConfirmsSingleMultipleAndNack() throws {
        var m = AMQPChannelStateMachine(channel: 1)
        #expect(try m.publish() == nil)  // not in confirm mode
        _ = m.request(1, .confirmSelect(noWait: false))
        _ = m.receive(.confirmSelectOk)
        let seqs = try (0..<5).map { _ in try m.publish() }
        #expect(seqs == [1, 2, 3, 4, 5])
        #expect(m.receive(.basicAck(deliveryTag: 2, multiple: false)) == [.confirm([2], acked: true)])
        #expect(m.receive(.basicAck(deliveryTag: 3, multiple: true)) == [.confirm([1, 3], acked: true)])
        #expect(m.receive(.basicNack(deliveryTag: 5, multiple: true, requeue: false)) == [.confirm([4, 5], acked: false)])
        #expect(m.unconfirmed.isEmpty)
        // Unconfirmed publishes never succeed when the connection is lost.
        _ = try m.publish()
        let lost = m.connectionLost(AMQPError(.connectionClosed, "gone"))
        #expect(lost == [.closed(AMQPError(.connectionClosed, "gone"))])
        #expect(m.unconfirmed.isEmpty)
    }

    @Test func returnAndServerCancel() {
        var m = AMQPChannelStateMachine(channel: 1)
        _ = m.receive(.basicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "fan", routingKey: "k"))
        let r = m.receiveHeader(bodySize: 0, properties: .init())
        #expect(r == [.returned(AMQPMessage(exchange: "fan", routingKey: "k", returnReplyCode: 312, returnReplyText: "NO_ROUTE"))])
        #expect(m.receive(.basicCancel(consumerTag: "c", noWait: true)) == [.consumerCancelled("c")])
    }

    @Test func clientCloseCompletesThenCloses() {
        var m = AMQPChannelStateMachine(channel: 4)
        let close = AMQPMethod.channelClose(.init(replyCode: 200, replyText: "Goodbye"))
        #expect(m.request(1, close) == [.send(close)])
        guard case .fail = m.request(2, .basicQosOk).first else { Issue.record("closing channel must refuse"); return }
        #expect(m.receive(.channelCloseOk) == [.complete(1, .method(.channelCloseOk)), .closed(nil)])
    }

    // MARK: Connection

    func connection(heartbeat: UInt16 = 60) -> AMQPConnectionStateMachine {
        AMQPConnectionStateMachine(
            user: "u", password: "p", virtualHost: "/v", proposal: .init(frameMax: 131_072, channelMax: 2047, heartbeatSeconds: heartbeat),
            clientProperties: [:], endpoint: "h:1")
    }

    @Test func handshakeNegotiatesLimits() {
        var c = connection()
        let start = c.receive(.connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "AMQPLAIN PLAIN", locales: "en_US"))
        #expect(start == [.send(.connectionStartOk(clientProperties: [:], mechanism: "PLAIN", response: [0, 117, 0, 112], locale: "en_US"))])
        let tune = c.receive(.connectionTune(channelMax: 0, frameMax: 65536, heartbeat: 30))
        #expect(tune == [.send(.connectionTuneOk(channelMax: 2047, frameMax: 65536, heartbeat: 30)), .send(.connectionOpen(virtualHost: "/v"))])
        #expect(c.receive(.connectionOpenOk) == [.opened(.init(frameMax: 65536, channelMax: 2047, heartbeatSeconds: 30))])
        #expect(c.receive(.connectionBlocked(reason: "memory")) == [.blocked("memory")])
        #expect(c.receive(.connectionUnblocked) == [.unblocked])
        #expect(c.close() == [.send(.connectionClose(.init(replyCode: 200, replyText: "Goodbye")))])
        #expect(c.receive(.connectionCloseOk) == [.closeSocket(nil)])
    }

    @Test func heartbeatZeroDisables() {
        var c = connection(heartbeat: 0)
        _ = c.receive(.connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "PLAIN", locales: "en_US"))
        let tune = c.receive(.connectionTune(channelMax: 10, frameMax: 0, heartbeat: 60))
        #expect(tune.first == .send(.connectionTuneOk(channelMax: 10, frameMax: 131_072, heartbeat: 0)))
    }

    @Test func accessRefusedDuringHandshake() {
        var c = connection()
        _ = c.receive(.connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "PLAIN", locales: "en_US"))
        let actions = c.receive(.connectionClose(.init(replyCode: 403, replyText: "ACCESS_REFUSED - Login was refused")))
        #expect(actions.first == .send(.connectionCloseOk))
        guard case .closeSocket(let e?) = actions.last else { Issue.record("expected a failure"); return }
        #expect(e.kind == .accessRefused)
        #expect(e.replyCode == 403)
        #expect(e.description.contains("h:1"))
        #expect(!e.description.contains("\"p\""))
    }

    @Test func noPlainMechanismOrWrongVersionFails() {
        var c = connection()
        let a = c.receive(.connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "EXTERNAL", locales: "en_US"))
        guard case .closeSocket(let e?) = a.last else { Issue.record("expected a failure"); return }
        #expect(e.kind == .accessRefused)
        var d = connection()
        guard case .closeSocket(let e2?) = d.receive(.connectionStart(versionMajor: 1, versionMinor: 0, serverProperties: [:], mechanisms: "PLAIN", locales: "")).last
        else { Issue.record("expected a failure"); return }
        #expect(e2.kind == .protocolViolation)
    }
}
