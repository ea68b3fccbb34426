import Synchronization

/// One client's connection to a shared ``InMemoryBroker``, what `memory://NAME` URLs give.
/// Closing it cancels only the consumers it opened (their unacknowledged messages return to
/// their queues, as when a client's connection to a server drops); the broker lives on.
public final class InMemoryConnection: Broker {
    /// The shared broker.
    public let broker: InMemoryBroker
    private let state = Mutex<(consumers: [any MessageConsumer], closed: Bool)>(([], false))

    public init(_ broker: InMemoryBroker) { self.broker = broker }

    public var displayURL: String { broker.displayURL }

    private func checkOpen() throws {
        if state.withLock({ $0.closed }) { throw CeleryError(.invalidState, "connection to \(displayURL) is closed") }
    }

    public func publish(_ message: BrokerMessage, to route: Route) async throws -> PublishReceipt {
        try checkOpen()
        return try await broker.publish(message, to: route)
    }

    public func consume(_ route: Route, options: ConsumeOptions) async throws -> any MessageConsumer {
        try checkOpen()
        let c = try await broker.consume(route, options: options)
        state.withLock { $0.consumers.append(c) }
        return c
    }

    public func purge(queue: String) async throws -> Int {
        try checkOpen()
        return try await broker.purge(queue: queue)
    }

    public func queueLength(_ queue: String) async throws -> Int {
        try checkOpen()
        return try await broker.queueLength(queue)
    }

    public func close() async throws {
        let cs = state.withLock { s -> [any MessageConsumer] in
            s.closed = true
            defer { s.consumers = [] }
            return s.consumers
        }
        for c in cs { await c.cancel() }
    }
}
