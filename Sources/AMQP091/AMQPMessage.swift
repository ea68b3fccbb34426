/// A message received from the server: by `basic.deliver` (a consumer), `basic.get-ok`,
/// or `basic.return` (an unroutable mandatory publish handed back).
public struct AMQPMessage: Sendable, Hashable {
    /// The delivery tag to acknowledge with (0 for a returned message).
    public var deliveryTag: UInt64
    /// Whether the server delivered this message before.
    public var redelivered: Bool
    /// The exchange it was published to.
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// The consumer it was delivered to (`basic.deliver` only).
    public var consumerTag: String?
    /// Messages left in the queue (`basic.get-ok` only).
    public var messageCount: UInt32?
    /// Why the server returned it (`basic.return` only), e.g. `312 NO_ROUTE`.
    public var returnReplyCode: UInt16?
    /// The text that goes with ``returnReplyCode``.
    public var returnReplyText: String?
    /// The message properties.
    public var properties: AMQPBasicProperties
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a message.
    public init(
        deliveryTag: UInt64 = 0, redelivered: Bool = false, exchange: String = "", routingKey: String = "",
        consumerTag: String? = nil, messageCount: UInt32? = nil, returnReplyCode: UInt16? = nil,
        returnReplyText: String? = nil, properties: AMQPBasicProperties = .init(), body: [UInt8] = []
    ) {
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.consumerTag = consumerTag
        self.messageCount = messageCount
        self.returnReplyCode = returnReplyCode
        self.returnReplyText = returnReplyText
        self.properties = properties
        self.body = body
    }
}
