import AMQP091
import Celery
import CeleryRabbitMQ
import CeleryTestSupport
import Foundation
import Testing

/// The RabbitMQ under test (``LiveServers/amqp(sourceLocation:)``): unset fails in CI, else skips.
func amqpURL(sourceLocation: SourceLocation = #_sourceLocation) -> String? { LiveServers.amqp(sourceLocation: sourceLocation) }

func unique(_ base: String) -> String { LiveServers.unique(base) }

/// Next delivery within `timeout`, or `nil`.
func next(_ c: any MessageConsumer, within timeout: Duration = .seconds(5)) async throws -> Delivery? {
    let pending = Task { try await c.next() }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        if !Task.isCancelled { pending.cancel() }
    }
    defer { timer.cancel() }
    return try await pending.value
}

func taskMessage(_ n: Int, id: String = UUID().uuidString.lowercased()) -> BrokerMessage {
    BrokerMessage(
        body: Array("[[\(n), 4], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]".utf8),
        headers: [
            "lang": "py", "task": "tasks.add", "id": .string(id), "shadow": nil, "eta": nil, "expires": nil,
            "group": nil, "group_index": nil, "retries": 0, "timelimit": [nil, nil], "root_id": .string(id),
            "parent_id": nil, "argsrepr": .string("(\(n), 4)"), "kwargsrepr": "{}", "origin": "gen1@test",
            "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": nil, "stamps": [:],
            "ratio": 0.5, "big": .int(Int64(1) << 40), "nested": ["a": [1, "x", ["b": true]]],
        ],
        correlationId: id, replyTo: "reply-\(n)", deliveryMode: 2, priority: 3)
}

func number(_ d: Delivery) -> Int? {
    guard case .array(let parts)? = try? JSONCoding.parse(d.message.body), case .array(let args) = parts.first,
        let n = args.first?.intValue
    else { return nil }
    return Int(n)
}

/// A plain AMQP connection for checking what the broker wrote.
func rawChannel(_ url: String) async throws -> (AMQPConnection, AMQPChannel) {
    let c = try await AMQPConnection.connect(try AMQPConfiguration(url: url))
    return (c, try await c.openChannel())
}
