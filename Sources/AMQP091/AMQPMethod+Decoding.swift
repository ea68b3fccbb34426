import NIOCore

extension AMQPMethod {
    /// Parses a method frame's payload. Unknown class/method ids and truncated arguments are
    /// ``AMQPError`` (`malformedFrame`).
    public static func decode(from b: inout ByteBuffer) throws -> AMQPMethod {
        let c = try b.amqpRead(UInt16.self, "method class id")
        let m = try b.amqpRead(UInt16.self, "method id")
        let what = "arguments of \(name(classId: c, methodId: m))"
        func short() throws -> String { try b.amqpReadShortString(what) }
        func long() throws -> [UInt8] { try b.amqpReadLongString(what) }
        func u8() throws -> UInt8 { try b.amqpRead(UInt8.self, what) }
        func u16() throws -> UInt16 { try b.amqpRead(UInt16.self, what) }
        func u32() throws -> UInt32 { try b.amqpRead(UInt32.self, what) }
        func u64() throws -> UInt64 { try b.amqpRead(UInt64.self, what) }
        func bits() throws -> [Bool] { try b.amqpReadBits(what) }
        func table() throws -> AMQPTable { try b.amqpReadTable() }
        func close() throws -> Close {
            Close(replyCode: try u16(), replyText: try short(), classId: try u16(), methodId: try u16())
        }
        switch (c, m) {
        case (10, 10):
            return .connectionStart(
                versionMajor: try u8(), versionMinor: try u8(), serverProperties: try table(),
                mechanisms: String(decoding: try long(), as: UTF8.self), locales: String(decoding: try long(), as: UTF8.self))
        case (10, 11):
            return .connectionStartOk(clientProperties: try table(), mechanism: try short(), response: try long(), locale: try short())
        case (10, 20): return .connectionSecure(challenge: try long())
        case (10, 21): return .connectionSecureOk(response: try long())
        case (10, 30): return .connectionTune(channelMax: try u16(), frameMax: try u32(), heartbeat: try u16())
        case (10, 31): return .connectionTuneOk(channelMax: try u16(), frameMax: try u32(), heartbeat: try u16())
        case (10, 40):
            let vhost = try short()
            _ = try short()
            _ = try bits()
            return .connectionOpen(virtualHost: vhost)
        case (10, 41): _ = try short(); return .connectionOpenOk
        case (10, 50): return .connectionClose(try close())
        case (10, 51): return .connectionCloseOk
        case (10, 60): return .connectionBlocked(reason: try short())
        case (10, 61): return .connectionUnblocked
        case (20, 10): _ = try short(); return .channelOpen
        case (20, 11): _ = try long(); return .channelOpenOk
        case (20, 20): return .channelFlow(active: try bits()[0])
        case (20, 21): return .channelFlowOk(active: try bits()[0])
        case (20, 40): return .channelClose(try close())
        case (20, 41): return .channelCloseOk
        case (40, 10):
            _ = try u16()
            let e = try short(), t = try short(), f = try bits()
            return .exchangeDeclare(.init(
                exchange: e, type: t, passive: f[0], durable: f[1], autoDelete: f[2], internal: f[3], noWait: f[4],
                arguments: try table()))
        case (40, 11): return .exchangeDeclareOk
        case (40, 20):
            _ = try u16()
            let e = try short(), f = try bits()
            return .exchangeDelete(exchange: e, ifUnused: f[0], noWait: f[1])
        case (40, 21): return .exchangeDeleteOk
        case (40, 30):
            _ = try u16()
            let d = try short(), src = try short(), rk = try short(), f = try bits()
            return .exchangeBind(destination: d, source: src, routingKey: rk, noWait: f[0], arguments: try table())
        case (40, 31): return .exchangeBindOk
        case (50, 10):
            _ = try u16()
            let q = try short(), f = try bits()
            return .queueDeclare(.init(
                queue: q, passive: f[0], durable: f[1], exclusive: f[2], autoDelete: f[3], noWait: f[4], arguments: try table()))
        case (50, 11): return .queueDeclareOk(queue: try short(), messageCount: try u32(), consumerCount: try u32())
        case (50, 20):
            _ = try u16()
            let q = try short(), e = try short(), rk = try short(), f = try bits()
            return .queueBind(queue: q, exchange: e, routingKey: rk, noWait: f[0], arguments: try table())
        case (50, 21): return .queueBindOk
        case (50, 30):
            _ = try u16()
            let q = try short()
            return .queuePurge(queue: q, noWait: try bits()[0])
        case (50, 31): return .queuePurgeOk(messageCount: try u32())
        case (50, 40):
            _ = try u16()
            let q = try short(), f = try bits()
            return .queueDelete(queue: q, ifUnused: f[0], ifEmpty: f[1], noWait: f[2])
        case (50, 41): return .queueDeleteOk(messageCount: try u32())
        case (60, 10):
            let size = try u32(), count = try u16()
            return .basicQos(prefetchSize: size, prefetchCount: count, global: try bits()[0])
        case (60, 11): return .basicQosOk
        case (60, 20):
            _ = try u16()
            let q = try short(), tag = try short(), f = try bits()
            return .basicConsume(.init(
                queue: q, consumerTag: tag, noLocal: f[0], noAck: f[1], exclusive: f[2], noWait: f[3], arguments: try table()))
        case (60, 21): return .basicConsumeOk(consumerTag: try short())
        case (60, 30):
            let tag = try short()
            return .basicCancel(consumerTag: tag, noWait: try bits()[0])
        case (60, 31): return .basicCancelOk(consumerTag: try short())
        case (60, 40):
            _ = try u16()
            let e = try short(), rk = try short(), f = try bits()
            return .basicPublish(exchange: e, routingKey: rk, mandatory: f[0], immediate: f[1])
        case (60, 50):
            return .basicReturn(replyCode: try u16(), replyText: try short(), exchange: try short(), routingKey: try short())
        case (60, 60):
            let tag = try short(), dt = try u64(), f = try bits()
            return .basicDeliver(consumerTag: tag, deliveryTag: dt, redelivered: f[0], exchange: try short(), routingKey: try short())
        case (60, 70):
            _ = try u16()
            let q = try short()
            return .basicGet(queue: q, noAck: try bits()[0])
        case (60, 71):
            let dt = try u64(), f = try bits()
            return .basicGetOk(
                deliveryTag: dt, redelivered: f[0], exchange: try short(), routingKey: try short(), messageCount: try u32())
        case (60, 72): _ = try short(); return .basicGetEmpty
        case (60, 80):
            let dt = try u64()
            return .basicAck(deliveryTag: dt, multiple: try bits()[0])
        case (60, 90):
            let dt = try u64()
            return .basicReject(deliveryTag: dt, requeue: try bits()[0])
        case (60, 110): return .basicRecover(requeue: try bits()[0])
        case (60, 111): return .basicRecoverOk
        case (60, 120):
            let dt = try u64(), f = try bits()
            return .basicNack(deliveryTag: dt, multiple: f[0], requeue: f[1])
        case (85, 10): return .confirmSelect(noWait: try bits()[0])
        case (85, 11): return .confirmSelectOk
        default:
            throw AMQPError(.malformedFrame, "unsupported method \(name(classId: c, methodId: m)) (class \(c), method \(m))")
        }
    }
}

extension AMQPMethod {
    /// `class.method-id` for ids, for error messages (`queue.10`).
    static func name(classId: UInt16, methodId: UInt16) -> String {
        let classes: [UInt16: String] = [10: "connection", 20: "channel", 40: "exchange", 50: "queue", 60: "basic", 85: "confirm", 90: "tx"]
        return "\(classes[classId] ?? String(classId)).\(methodId)"
    }
}
