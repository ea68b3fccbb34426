/// The AMQP 0-9-1 methods this client sends or understands, with their arguments
/// (reserved fields such as `ticket` are written as zero and not modelled).
///
/// Class ids: connection 10, channel 20, exchange 40, queue 50, basic 60, confirm 85.
/// Wire coding is in `AMQPMethod+Coding.swift`.
public enum AMQPMethod: Sendable, Hashable {
    /// Arguments of `connection.close` and `channel.close`.
    public struct Close: Sendable, Hashable {
        /// Reply code (200 = normal; 3xx/4xx/5xx errors such as 404 NOT_FOUND, 406 PRECONDITION_FAILED).
        public var replyCode: UInt16
        /// Reply text.
        public var replyText: String
        /// Class id of the failing method, or 0.
        public var classId: UInt16
        /// Method id of the failing method, or 0.
        public var methodId: UInt16
        /// Creates close arguments.
        public init(replyCode: UInt16, replyText: String, classId: UInt16 = 0, methodId: UInt16 = 0) {
            self.replyCode = replyCode
            self.replyText = replyText
            self.classId = classId
            self.methodId = methodId
        }
    }

    /// Arguments of `exchange.declare`.
    public struct ExchangeDeclare: Sendable, Hashable {
        /// Exchange name.
        public var exchange: String
        /// `direct`, `fanout`, `topic` or `headers`.
        public var type: String
        /// Only check that it exists (404 if not).
        public var passive: Bool
        /// Survives a server restart.
        public var durable: Bool
        /// Deleted when its last binding goes.
        public var autoDelete: Bool
        /// Cannot be published to directly.
        public var `internal`: Bool
        /// Do not wait for the reply (not supported by ``AMQPChannel``; always `false` there).
        public var noWait: Bool
        /// Extra arguments such as `alternate-exchange`.
        public var arguments: AMQPTable
        /// Creates `exchange.declare` arguments (defaults: not passive, not durable…).
        public init(
            exchange: String, type: String, passive: Bool = false, durable: Bool = false, autoDelete: Bool = false,
            internal: Bool = false, noWait: Bool = false, arguments: AMQPTable = [:]
        ) {
            self.exchange = exchange
            self.type = type
            self.passive = passive
            self.durable = durable
            self.autoDelete = autoDelete
            self.internal = `internal`
            self.noWait = noWait
            self.arguments = arguments
        }
    }

    /// Arguments of `queue.declare`.
    public struct QueueDeclare: Sendable, Hashable {
        /// Queue name; empty asks the server to generate one.
        public var queue: String
        /// Only check that it exists (404 if not) and read its counts.
        public var passive: Bool
        /// Survives a server restart (with persistent messages, so do they).
        public var durable: Bool
        /// Used by this connection only; deleted when it closes.
        public var exclusive: Bool
        /// Deleted when its last consumer goes.
        public var autoDelete: Bool
        /// Do not wait for the reply.
        public var noWait: Bool
        /// Arguments such as `x-queue-type`, `x-dead-letter-exchange`, `x-delivery-limit`.
        public var arguments: AMQPTable
        /// Creates `queue.declare` arguments.
        public init(
            queue: String, passive: Bool = false, durable: Bool = false, exclusive: Bool = false,
            autoDelete: Bool = false, noWait: Bool = false, arguments: AMQPTable = [:]
        ) {
            self.queue = queue
            self.passive = passive
            self.durable = durable
            self.exclusive = exclusive
            self.autoDelete = autoDelete
            self.noWait = noWait
            self.arguments = arguments
        }
    }

    /// Arguments of `basic.consume`.
    public struct Consume: Sendable, Hashable {
        /// Queue to consume from.
        public var queue: String
        /// Consumer tag; empty asks the server to generate one.
        public var consumerTag: String
        /// Ignored by RabbitMQ.
        public var noLocal: Bool
        /// `true` = automatic acknowledgement (no `basic.ack` needed).
        public var noAck: Bool
        /// The only consumer of the queue.
        public var exclusive: Bool
        /// Do not wait for the reply.
        public var noWait: Bool
        /// Extra arguments (e.g. `x-priority`).
        public var arguments: AMQPTable
        /// Creates `basic.consume` arguments (default: manual acknowledgements).
        public init(
            queue: String, consumerTag: String = "", noLocal: Bool = false, noAck: Bool = false,
            exclusive: Bool = false, noWait: Bool = false, arguments: AMQPTable = [:]
        ) {
            self.queue = queue
            self.consumerTag = consumerTag
            self.noLocal = noLocal
            self.noAck = noAck
            self.exclusive = exclusive
            self.noWait = noWait
            self.arguments = arguments
        }
    }

    /// `connection.start`.
    case connectionStart(versionMajor: UInt8, versionMinor: UInt8, serverProperties: AMQPTable, mechanisms: String, locales: String)
    /// `connection.start-ok`.
    case connectionStartOk(clientProperties: AMQPTable, mechanism: String, response: [UInt8], locale: String)
    /// `connection.secure`.
    case connectionSecure(challenge: [UInt8])
    /// `connection.secure-ok`.
    case connectionSecureOk(response: [UInt8])
    /// `connection.tune`.
    case connectionTune(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    /// `connection.tune-ok`.
    case connectionTuneOk(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    /// `connection.open`.
    case connectionOpen(virtualHost: String)
    /// `connection.open-ok`.
    case connectionOpenOk
    /// `connection.close`.
    case connectionClose(Close)
    /// `connection.close-ok`.
    case connectionCloseOk
    /// `connection.blocked`.
    case connectionBlocked(reason: String)
    /// `connection.unblocked`.
    case connectionUnblocked
    /// `channel.open`.
    case channelOpen
    /// `channel.open-ok`.
    case channelOpenOk
    /// `channel.flow`.
    case channelFlow(active: Bool)
    /// `channel.flow-ok`.
    case channelFlowOk(active: Bool)
    /// `channel.close`.
    case channelClose(Close)
    /// `channel.close-ok`.
    case channelCloseOk
    /// `exchange.declare`.
    case exchangeDeclare(ExchangeDeclare)
    /// `exchange.declare-ok`.
    case exchangeDeclareOk
    /// `exchange.delete`.
    case exchangeDelete(exchange: String, ifUnused: Bool, noWait: Bool)
    /// `exchange.delete-ok`.
    case exchangeDeleteOk
    /// `exchange.bind` (RabbitMQ extension): messages routed by `source` with a matching key
    /// also go to `destination`.
    case exchangeBind(destination: String, source: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
    /// `exchange.bind-ok`.
    case exchangeBindOk
    /// `queue.declare`.
    case queueDeclare(QueueDeclare)
    /// `queue.declare-ok`.
    case queueDeclareOk(queue: String, messageCount: UInt32, consumerCount: UInt32)
    /// `queue.bind`.
    case queueBind(queue: String, exchange: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
    /// `queue.bind-ok`.
    case queueBindOk
    /// `queue.purge`.
    case queuePurge(queue: String, noWait: Bool)
    /// `queue.purge-ok`.
    case queuePurgeOk(messageCount: UInt32)
    /// `queue.delete`.
    case queueDelete(queue: String, ifUnused: Bool, ifEmpty: Bool, noWait: Bool)
    /// `queue.delete-ok`.
    case queueDeleteOk(messageCount: UInt32)
    /// `basic.qos`.
    case basicQos(prefetchSize: UInt32, prefetchCount: UInt16, global: Bool)
    /// `basic.qos-ok`.
    case basicQosOk
    /// `basic.consume`.
    case basicConsume(Consume)
    /// `basic.consume-ok`.
    case basicConsumeOk(consumerTag: String)
    /// `basic.cancel`.
    case basicCancel(consumerTag: String, noWait: Bool)
    /// `basic.cancel-ok`.
    case basicCancelOk(consumerTag: String)
    /// `basic.publish`.
    case basicPublish(exchange: String, routingKey: String, mandatory: Bool, immediate: Bool)
    /// `basic.return`.
    case basicReturn(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
    /// `basic.deliver`.
    case basicDeliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    /// `basic.get`.
    case basicGet(queue: String, noAck: Bool)
    /// `basic.get-ok`.
    case basicGetOk(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String, messageCount: UInt32)
    /// `basic.get-empty`.
    case basicGetEmpty
    /// `basic.ack`.
    case basicAck(deliveryTag: UInt64, multiple: Bool)
    /// `basic.reject`.
    case basicReject(deliveryTag: UInt64, requeue: Bool)
    /// `basic.nack`.
    case basicNack(deliveryTag: UInt64, multiple: Bool, requeue: Bool)
    /// `basic.recover`.
    case basicRecover(requeue: Bool)
    /// `basic.recover-ok`.
    case basicRecoverOk
    /// `confirm.select`.
    case confirmSelect(noWait: Bool)
    /// `confirm.select-ok`.
    case confirmSelectOk

    /// Whether a content header and body frames follow this method.
    public var hasContent: Bool {
        switch self {
        case .basicPublish, .basicReturn, .basicDeliver, .basicGetOk: return true
        default: return false
        }
    }

    /// A readable name such as `queueDeclare` (for logs and errors).
    public var name: String {
        let d = String(describing: self)
        return String(d.prefix { $0 != "(" })
    }
}
