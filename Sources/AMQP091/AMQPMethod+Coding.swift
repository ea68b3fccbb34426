import NIOCore

extension AMQPMethod {
    /// The (class id, method id) pair written on the wire.
    public var ids: (classId: UInt16, methodId: UInt16) {
        switch self {
        case .connectionStart: return (10, 10)
        case .connectionStartOk: return (10, 11)
        case .connectionSecure: return (10, 20)
        case .connectionSecureOk: return (10, 21)
        case .connectionTune: return (10, 30)
        case .connectionTuneOk: return (10, 31)
        case .connectionOpen: return (10, 40)
        case .connectionOpenOk: return (10, 41)
        case .connectionClose: return (10, 50)
        case .connectionCloseOk: return (10, 51)
        case .connectionBlocked: return (10, 60)
        case .connectionUnblocked: return (10, 61)
        case .channelOpen: return (20, 10)
        case .channelOpenOk: return (20, 11)
        case .channelFlow: return (20, 20)
        case .channelFlowOk: return (20, 21)
        case .channelClose: return (20, 40)
        case .channelCloseOk: return (20, 41)
        case .exchangeDeclare: return (40, 10)
        case .exchangeDeclareOk: return (40, 11)
        case .exchangeDelete: return (40, 20)
        case .exchangeDeleteOk: return (40, 21)
        case .exchangeBind: return (40, 30)
        case .exchangeBindOk: return (40, 31)
        case .queueDeclare: return (50, 10)
        case .queueDeclareOk: return (50, 11)
        case .queueBind: return (50, 20)
        case .queueBindOk: return (50, 21)
        case .queuePurge: return (50, 30)
        case .queuePurgeOk: return (50, 31)
        case .queueDelete: return (50, 40)
        case .queueDeleteOk: return (50, 41)
        case .basicQos: return (60, 10)
        case .basicQosOk: return (60, 11)
        case .basicConsume: return (60, 20)
        case .basicConsumeOk: return (60, 21)
        case .basicCancel: return (60, 30)
        case .basicCancelOk: return (60, 31)
        case .basicPublish: return (60, 40)
        case .basicReturn: return (60, 50)
        case .basicDeliver: return (60, 60)
        case .basicGet: return (60, 70)
        case .basicGetOk: return (60, 71)
        case .basicGetEmpty: return (60, 72)
        case .basicAck: return (60, 80)
        case .basicReject: return (60, 90)
        case .basicRecover: return (60, 110)
        case .basicRecoverOk: return (60, 111)
        case .basicNack: return (60, 120)
        case .confirmSelect: return (85, 10)
        case .confirmSelectOk: return (85, 11)
        }
    }

    /// Writes class id, method id and arguments (a method frame's payload).
    public func encode(into b: inout ByteBuffer) throws {
        let (c, m) = ids
        b.writeInteger(c)
        b.writeInteger(m)
        switch self {
        case .connectionStart(let major, let minor, let props, let mechs, let locales):
            b.writeInteger(major)
            b.writeInteger(minor)
            try b.amqpWriteTable(props)
            b.amqpWriteLongString(Array(mechs.utf8))
            b.amqpWriteLongString(Array(locales.utf8))
        case .connectionStartOk(let props, let mech, let response, let locale):
            try b.amqpWriteTable(props)
            try b.amqpWriteShortString(mech)
            b.amqpWriteLongString(response)
            try b.amqpWriteShortString(locale)
        case .connectionSecure(let x), .connectionSecureOk(let x):
            b.amqpWriteLongString(x)
        case .connectionTune(let cm, let fm, let hb), .connectionTuneOk(let cm, let fm, let hb):
            b.writeInteger(cm)
            b.writeInteger(fm)
            b.writeInteger(hb)
        case .connectionOpen(let vhost):
            try b.amqpWriteShortString(vhost)
            try b.amqpWriteShortString("")
            b.writeInteger(UInt8(0))
        case .connectionOpenOk, .channelOpen:
            try b.amqpWriteShortString("")
        case .connectionClose(let close), .channelClose(let close):
            b.writeInteger(close.replyCode)
            try b.amqpWriteShortString(close.replyText)
            b.writeInteger(close.classId)
            b.writeInteger(close.methodId)
        case .connectionBlocked(let reason):
            try b.amqpWriteShortString(reason)
        case .channelOpenOk:
            b.amqpWriteLongString([])
        case .channelFlow(let active), .channelFlowOk(let active):
            b.writeBits(active)
        case .exchangeDeclare(let d):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(d.exchange)
            try b.amqpWriteShortString(d.type)
            b.writeBits(d.passive, d.durable, d.autoDelete, d.internal, d.noWait)
            try b.amqpWriteTable(d.arguments)
        case .exchangeDelete(let exchange, let ifUnused, let noWait):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(exchange)
            b.writeBits(ifUnused, noWait)
        case .exchangeBind(let destination, let source, let rk, let noWait, let args):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(destination)
            try b.amqpWriteShortString(source)
            try b.amqpWriteShortString(rk)
            b.writeBits(noWait)
            try b.amqpWriteTable(args)
        case .queueDeclare(let d):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(d.queue)
            b.writeBits(d.passive, d.durable, d.exclusive, d.autoDelete, d.noWait)
            try b.amqpWriteTable(d.arguments)
        case .queueDeclareOk(let q, let mc, let cc):
            try b.amqpWriteShortString(q)
            b.writeInteger(mc)
            b.writeInteger(cc)
        case .queueBind(let q, let e, let rk, let noWait, let args):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(q)
            try b.amqpWriteShortString(e)
            try b.amqpWriteShortString(rk)
            b.writeBits(noWait)
            try b.amqpWriteTable(args)
        case .queuePurge(let q, let noWait):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(q)
            b.writeBits(noWait)
        case .queuePurgeOk(let n), .queueDeleteOk(let n):
            b.writeInteger(n)
        case .queueDelete(let q, let ifUnused, let ifEmpty, let noWait):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(q)
            b.writeBits(ifUnused, ifEmpty, noWait)
        case .basicQos(let size, let count, let global):
            b.writeInteger(size)
            b.writeInteger(count)
            b.writeBits(global)
        case .basicConsume(let c):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(c.queue)
            try b.amqpWriteShortString(c.consumerTag)
            b.writeBits(c.noLocal, c.noAck, c.exclusive, c.noWait)
            try b.amqpWriteTable(c.arguments)
        case .basicConsumeOk(let tag), .basicCancelOk(let tag):
            try b.amqpWriteShortString(tag)
        case .basicCancel(let tag, let noWait):
            try b.amqpWriteShortString(tag)
            b.writeBits(noWait)
        case .basicPublish(let e, let rk, let mandatory, let immediate):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(e)
            try b.amqpWriteShortString(rk)
            b.writeBits(mandatory, immediate)
        case .basicReturn(let code, let text, let e, let rk):
            b.writeInteger(code)
            try b.amqpWriteShortString(text)
            try b.amqpWriteShortString(e)
            try b.amqpWriteShortString(rk)
        case .basicDeliver(let tag, let dt, let redelivered, let e, let rk):
            try b.amqpWriteShortString(tag)
            b.writeInteger(dt)
            b.writeBits(redelivered)
            try b.amqpWriteShortString(e)
            try b.amqpWriteShortString(rk)
        case .basicGet(let q, let noAck):
            b.writeInteger(UInt16(0))
            try b.amqpWriteShortString(q)
            b.writeBits(noAck)
        case .basicGetOk(let dt, let redelivered, let e, let rk, let count):
            b.writeInteger(dt)
            b.writeBits(redelivered)
            try b.amqpWriteShortString(e)
            try b.amqpWriteShortString(rk)
            b.writeInteger(count)
        case .basicGetEmpty:
            try b.amqpWriteShortString("")
        case .basicAck(let dt, let multiple):
            b.writeInteger(dt)
            b.writeBits(multiple)
        case .basicReject(let dt, let requeue):
            b.writeInteger(dt)
            b.writeBits(requeue)
        case .basicNack(let dt, let multiple, let requeue):
            b.writeInteger(dt)
            b.writeBits(multiple, requeue)
        case .basicRecover(let requeue):
            b.writeBits(requeue)
        case .confirmSelect(let noWait):
            b.writeBits(noWait)
        case .connectionCloseOk, .connectionUnblocked, .channelCloseOk, .exchangeDeclareOk,
            .exchangeDeleteOk, .exchangeBindOk, .queueBindOk, .basicQosOk, .basicRecoverOk, .confirmSelectOk:
            break
        }
    }
}

extension ByteBuffer {
    /// Packs consecutive `bit` arguments into one octet, first argument in the lowest bit.
    mutating func writeBits(_ bits: Bool...) {
        var octet: UInt8 = 0
        for (i, bit) in bits.enumerated() where bit { octet |= 1 << UInt8(i) }
        writeInteger(octet)
    }

    mutating func amqpReadBits(_ what: String) throws -> [Bool] {
        let octet = try amqpRead(UInt8.self, what)
        return (0..<8).map { octet & (1 << UInt8($0)) != 0 }
    }
}
