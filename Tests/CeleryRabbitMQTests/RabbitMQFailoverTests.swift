import Celery
import CeleryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import CeleryRabbitMQ

/// Celery's `;`-separated failover list on RabbitMQ: a dead first node is skipped, and a node
/// that drops the connection is replaced by the next one, for publishers and consumers alike.
/// Two "nodes" here are two paths to the test node: one through the ``FaultProxy`` (which the
/// test cuts) and one direct, so what is tested is the client's failover, not the cluster's.
@Suite("RabbitMQ failover lists", .serialized)
struct RabbitMQFailoverTests {
    /// Collects log lines, to check which node is named and that no password is printed.
    final class Lines: @unchecked Sendable {
        let lines = Mutex<[String]>([])
        func logger() -> Logger {
            Logger(label: "failover-test") { _ in CapturingHandler(sink: self) }
        }
        var all: [String] { lines.withLock { $0 } }
    }

    struct CapturingHandler: LogHandler {
        let sink: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.lines.withLock { $0.append("\(event.message) \(all)") }
        }
    }

    static func withPassword(_ url: String, port: Int) -> String {
        "amqp://guest:guest@127.0.0.1:\(port)/?connection_timeout=2000&heartbeat=2"
    }

    /// Takes deliveries until message `n` arrives, acking each; only a redelivered earlier
    /// message may come first. Returns whether `n` arrived.
    static func take(_ n: Int, from c: any MessageConsumer) async throws -> Bool {
        while let d = try await next(c, within: .seconds(20)) {
            try await d.ack()
            if number(d) == n { return true }
            #expect(d.redelivered && (number(d) ?? n) < n, "unexpected delivery \(number(d) ?? -1)")
        }
        return false
    }

    @Test func aDeadFirstNodeIsSkipped() async throws {
        guard let url = amqpURL(), let port = URL(string: url)?.port else { return }
        // A port nothing listens on: bind, read the port, close.
        let dead = try await FaultProxy.start(upstreamPort: port)
        let deadPort = dead.port
        try await dead.stop()
        let lines = Lines()
        let list = "\(Self.withPassword(url, port: deadPort));\(Self.withPassword(url, port: port))"
        let broker = try RabbitMQBroker(url: list, logger: lines.logger())
        #expect(broker.displayURL.contains("\(deadPort)") && broker.displayURL.contains("\(port)"))
        #expect(!broker.displayURL.contains("guest:guest"))
        let q = unique("fo-dead")
        _ = try await broker.publish(taskMessage(7), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        let d = try #require(try await next(c, within: .seconds(10)))
        #expect(number(d) == 7)
        try await d.ack()
        await c.cancel()
        #expect(lines.all.contains { $0.contains("trying the next") && $0.contains("\(deadPort)") })
        #expect(lines.all.contains { $0.contains("connected to RabbitMQ node") && $0.contains("\(port)") })
        #expect(!lines.all.contains { $0.contains("guest:guest") })
        try await broker.close()
    }

    @Test func aLostNodeFailsOverToTheNextAndConsumingGoesOn() async throws {
        guard let url = amqpURL(), let port = URL(string: url)?.port else { return }
        let proxy = try await FaultProxy.start(upstreamPort: port)
        let list = "\(Self.withPassword(url, port: proxy.port));\(Self.withPassword(url, port: port))"
        let broker = try RabbitMQBroker(
            url: list, options: RabbitMQOptions(reconnectInitialDelay: .milliseconds(50), reconnectMaxDelay: .milliseconds(500)))
        let direct = try RabbitMQBroker(url: url)
        let q = unique("fo-lost")
        _ = try await direct.publish(taskMessage(1), to: .queue(q))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        let first = try #require(try await next(c, within: .seconds(10)))
        #expect(number(first) == 1)
        try await first.ack()
        #expect(await broker.keeper.configuration.port == proxy.port)

        // The first node goes away for good; the consumer must come back on the second. The
        // ack of message 1 may not have reached the node before the cut (acks are written at the
        // end of the loop tick): then it comes back redelivered, which at-least-once allows.
        try await proxy.setMode(.cut)
        _ = try await direct.publish(taskMessage(2), to: .queue(q))
        #expect(try await Self.take(2, from: c) == true, "no delivery of message 2 after the first node was cut")
        #expect(await broker.keeper.configuration.port == port)
        // Publishing through the list works on the new node too.
        _ = try await broker.publish(taskMessage(3), to: .queue(q))
        #expect(try await Self.take(3, from: c) == true)
        await c.cancel()
        #expect(try await direct.queueLength(q) == 0)
        try await broker.close()
        try await direct.close()
        try await proxy.stop()
    }
}
