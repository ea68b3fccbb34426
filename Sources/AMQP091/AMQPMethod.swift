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
        public var exchange: String
        /// `direct`, `fanout`, `topic` or `headers`.
        public var type: String
        public var passive: Bool
        public var durable: Bool
        public var autoDelete: Bool
        public var `internal`: Bool
        public var noWait: Bool
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
        public var passive: Bool
        public var durable: Bool
        public var exclusive: Bool
        public var autoDelete: Bool
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
        public var queue: String
        /// Consumer tag; empty asks the server to generate one.
        public var consumerTag: String
        public var noLocal: Bool
        /// `true` = automatic acknowledgement (no `basic.ack` needed).
        public var noAck: Bool
        public var exclusive: Bool
        public var noWait: Bool
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

    case connectionStart(versionMajor: UInt8, versionMinor: UInt8, serverProperties: AMQPTable, mechanisms: String, locales: String)
    case connectionStartOk(clientProperties: AMQPTable, mechanism: String, response: [UInt8], locale: String)
    case connectionSecure(challenge: [UInt8])
    case connectionSecureOk(response: [UInt8])
    case connectionTune(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionTuneOk(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionOpen(virtualHost: String)
    case connectionOpenOk
    case connectionClose(Close)
    case connectionCloseOk
    case connectionBlocked(reason: String)
    case connectionUnblocked
    case channelOpen
    case channelOpenOk
    case channelFlow(active: Bool)
    case channelFlowOk(active: Bool)
    case channelClose(Close)
    case channelCloseOk
    case exchangeDeclare(ExchangeDeclare)
    case exchangeDeclareOk
    case exchangeDelete(exchange: String, ifUnused: Bool, noWait: Bool)
    case exchangeDeleteOk
    case queueDeclare(QueueDeclare)
    case queueDeclareOk(queue: String, messageCount: UInt32, consumerCount: UInt32)
    case queueBind(queue: String, exchange: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
    case queueBindOk
    case queuePurge(queue: String, noWait: Bool)
    case queuePurgeOk(messageCount: UInt32)
    case queueDelete(queue: String, ifUnused: Bool, ifEmpty: Bool, noWait: Bool)
    case queueDeleteOk(messageCount: UInt32)
    case basicQos(prefetchSize: UInt32, prefetchCount: UInt16, global: Bool)
    case basicQosOk
    case basicConsume(Consume)
    case basicConsumeOk(consumerTag: String)
    case basicCancel(consumerTag: String, noWait: Bool)
    case basicCancelOk(consumerTag: String)
    case basicPublish(exchange: String, routingKey: String, mandatory: Bool, immediate: Bool)
    case basicReturn(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
    case basicDeliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    case basicGet(queue: String, noAck: Bool)
    case basicGetOk(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String, messageCount: UInt32)
    case basicGetEmpty
    case basicAck(deliveryTag: UInt64, multiple: Bool)
    case basicReject(deliveryTag: UInt64, requeue: Bool)
    case basicNack(deliveryTag: UInt64, multiple: Bool, requeue: Bool)
    case basicRecover(requeue: Bool)
    case basicRecoverOk
    case confirmSelect(noWait: Bool)
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
