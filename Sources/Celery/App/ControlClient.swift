#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Remote control of workers over broadcast mode (Celery's pidbox): a command goes to every
/// worker (or those named) on `celery.pidbox`; replies come back on a private reply queue
/// `<oid>.reply.celery.pidbox` (``ControlReplyQueue``: transient, auto-delete, expiring, bound to
/// the direct exchange `reply.celery.pidbox`, so Python Celery workers reach it too) and are
/// collected until a timeout. The reply queue is given up before ``call(_:arguments:destination:timeout:limit:)``
/// returns; on RabbitMQ the server deletes it then, on Redis the transport deletes its list and binding.
public struct ControlClient: Sendable {
    /// The app whose broker carries the commands.
    public let app: Celery

    public init(app: Celery) { self.app = app }

    /// Sends a command and collects replies, keyed by worker host name.
    /// - Parameters:
    ///   - destination: worker host names; `nil` = every worker.
    ///   - timeout: how long to collect replies (default 1 s, Celery's default).
    ///   - limit: stop after this many replies.
    public func call(
        _ method: String, arguments: [String: JSONValue] = [:], destination: [String]? = nil,
        timeout: Duration = .seconds(1), limit: Int? = nil
    ) async throws -> [String: JSONValue] {
        let reply = ControlReplyQueue(oid: UUID().uuidString.lowercased())
        let ticket = UUID().uuidString.lowercased()
        let consumer = try await app.broker.consume(.queue(reply.name), options: ConsumeOptions(prefetch: 128))
        do {
            try await cast(
                method, arguments: arguments, destination: destination,
                extra: ["ticket": .string(ticket), "reply_to": ["exchange": .string(reply.exchange), "routing_key": .string(reply.oid)]],
                expiresIn: timeout)
            let replies = try await collect(from: consumer, ticket: ticket, timeout: timeout, limit: limit)
            await consumer.cancel()
            return replies
        } catch {
            await consumer.cancel()
            throw error
        }
    }

    private func collect(from consumer: any MessageConsumer, ticket: String, timeout: Duration, limit: Int?) async throws -> [String: JSONValue] {
        var replies: [String: JSONValue] = [:]
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let limit, replies.count >= limit { break }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard let d = try await consumer.next(within: remaining) else { break }
            try? await d.ack()
            if let t = d.message.headers["ticket"]?.stringValue, t != ticket { continue }
            if case .object(let o)? = try? JSONCoding.parse(d.message.body) {
                for (host, reply) in o { replies[host] = reply }
            }
        }
        return replies
    }

    /// Sends a command without waiting for replies.
    public func cast(
        _ method: String, arguments: [String: JSONValue] = [:], destination: [String]? = nil,
        extra: [String: JSONValue] = [:], expiresIn: Duration = .seconds(60)
    ) async throws {
        var body: [String: JSONValue] = [
            "method": .string(method), "arguments": .object(arguments),
            "destination": destination.map { .array($0.map(JSONValue.string)) } ?? .null,
            "pattern": .null, "matcher": .null,
        ]
        for (k, v) in extra { body[k] = v }
        let msg = BrokerMessage(
            body: try JSONCoding.encode(JSONValue.object(body)),
            headers: ["clock": 1, "expires": .double(Date().timeIntervalSince1970 + expiresIn.seconds)], deliveryMode: 1)
        _ = try await app.broker.publish(msg, to: .broadcast(ControlMessage.exchange))
    }
}
