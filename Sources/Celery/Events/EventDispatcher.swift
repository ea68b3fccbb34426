import Foundation
import Logging
import Synchronization

/// Sends Celery events (`task-started`, `worker-heartbeat`…) in broadcast mode on the
/// `celeryev` channel, in Celery's event format: a JSON object with `type`, `hostname`,
/// `timestamp`, `utcoffset`, `pid`, `clock` and the event's own fields.
///
/// Events are fire-and-forget by nature (pub/sub): with nobody listening they are dropped,
/// and a failed publish is logged at debug level, never raised into task processing.
public final class EventDispatcher: Sendable {
    /// The broadcast channel of events (Celery's `celeryev` exchange).
    public static let channel = "celeryev"

    let broker: any Broker
    let hostname: String
    let logger: Logger
    private let clock = Mutex<Int64>(0)

    public init(broker: any Broker, hostname: String, logger: Logger) {
        self.broker = broker
        self.hostname = hostname
        self.logger = logger
    }

    /// Builds an event body.
    public func event(_ type: String, _ fields: [String: JSONValue]) -> [String: JSONValue] {
        let c = clock.withLock { v -> Int64 in v += 1; return v }
        var e = fields
        e["type"] = .string(type)
        e["hostname"] = .string(hostname)
        e["timestamp"] = .double(Date().timeIntervalSince1970)
        e["utcoffset"] = 0
        e["pid"] = .int(Int64(ProcessInfo.processInfo.processIdentifier))
        e["clock"] = .int(c)
        return e
    }

    /// Publishes an event.
    public func send(_ type: String, _ fields: [String: JSONValue] = [:]) async {
        let body = JSONValue.object(event(type, fields))
        let msg = BrokerMessage(
            body: JSONWriter.write(body), headers: ["hostname": .string(hostname)], deliveryMode: 1,
            extraProperties: ["routing_key": .string(type.replacingOccurrences(of: "-", with: "."))])
        do { _ = try await broker.publish(msg, to: .broadcast(Self.channel)) } catch {
            logger.debug("event \(type) not sent: \(error)")
        }
    }

    /// Parses an event message; `nil` for anything that is not a JSON object with a `type`.
    public static func parse(_ m: BrokerMessage) -> [String: JSONValue]? {
        guard case .object(let o)? = try? JSONCoding.parse(m.body), o["type"]?.stringValue != nil else { return nil }
        return o
    }
}
