import Celery
import CeleryRabbitMQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Restarts the test node with scripts/services/rabbitmq.sh (`rabbitmq_restart`). Opt-in
/// with `CELERY_TEST_AMQP_RESTART=1`, because a restart disturbs every other test using the
/// node at the same time: run it alone (`swift test --filter RabbitMQRestartTests`).
@Suite("RabbitMQ restart")
struct RabbitMQRestartTests {
    @Test func persistentMessagesInDurableQueuesSurviveARestart() async throws {
        guard ProcessInfo.processInfo.environment["CELERY_TEST_AMQP_RESTART"] == "1" else { return }
        guard let url = amqpURL() else { return }
        let q = unique("b-restart")
        let broker = try RabbitMQBroker(url: url)
        for i in 0..<3 { _ = try await broker.publish(taskMessage(i), to: .queue(q)) }
        try await broker.close()

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/services/rabbitmq.sh").path
        let port = URL(string: url)?.port.map(String.init) ?? "25672"
        // Plain system(3): Foundation's Process does not reap the shell here.
        let status = system("RABBITMQ_PORT=\(port) bash -c \"source '\(script)' && rabbitmq_restart\" </dev/null")
        #expect(status == 0)

        let after = try RabbitMQBroker(url: url)
        #expect(try await after.queueLength(q) == 3)
        let c = try await after.consume(.queue(q), options: ConsumeOptions(prefetch: 3))
        var got: [Int] = []
        for _ in 0..<3 {
            let d = try #require(try await next(c))
            got.append(number(d) ?? -1)
            #expect(d.message.headers["task"] == "tasks.add")
            try await d.ack()
        }
        #expect(got == [0, 1, 2])
        await c.cancel()
        try await after.close()
    }
}
