import AMQP091
import Celery
import CeleryRabbitMQ
import Foundation
import Testing

/// `amqps://` against the test node's TLS listener (private CA made by
/// scripts/services/rabbitmq.sh; `CELERY_TEST_AMQPS_URL` carries `ssl_ca_certs`).
@Suite("RabbitMQ over TLS", .serialized)
struct RabbitMQTLSTests {
    func amqpsURL() -> String? {
        if let url = ProcessInfo.processInfo.environment["CELERY_TEST_AMQPS_URL"], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            Issue.record("CELERY_TEST_AMQPS_URL is not set (scripts/services/rabbitmq.sh opens a TLS listener)")
        }
        return nil
    }

    @Test func publishConsumeAckOverTLSWithAPrivateCA() async throws {
        guard let url = amqpsURL() else { return }
        let broker = try RabbitMQBroker(url: url)
        #expect(broker.displayURL.hasPrefix("amqps://guest:***@"))
        try await broker.connect()
        let q = unique("tls")
        let receipt = try await broker.publish(taskMessage(7), to: .queue(q))
        #expect(receipt.confirmed)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        let d = try #require(try await next(c))
        #expect(number(d) == 7)
        try await d.ack()
        #expect(try await broker.queueLength(q) == 0)
        await c.cancel()
        try await broker.close()
    }

    /// Without our CA the server's certificate is not trusted: a TLS error naming the server,
    /// not a hang or a plain-text fallback.
    @Test func untrustedCertificateIsAClearTLSError() async throws {
        guard let url = amqpsURL(), let q = url.firstIndex(of: "?") else { return }
        let broker = try RabbitMQBroker(url: String(url[..<q]) + "?connection_timeout=5000")
        let error = await #expect(throws: CeleryError.self) { try await broker.connect() }
        #expect(error?.kind == .connection)
        let text = "\(error?.message ?? "")".lowercased()
        #expect(text.contains("certificate") || text.contains("tls") || text.contains("ssl"), "\(text)")
        // Verification off (testing only) connects.
        let lax = try RabbitMQBroker(url: String(url[..<q]) + "?ssl_cert_reqs=none")
        try await lax.connect()
        try await lax.close()
    }

    @Test func tlsToThePlainPortFailsWithinTheTimeout() async throws {
        guard let plain = amqpURL() else { return }
        let config = try AMQPConfiguration(url: plain)
        let broker = try RabbitMQBroker(url: "amqps://guest:guest@\(config.endpoint)/?connection_timeout=4000&ssl_cert_reqs=none")
        let start = ContinuousClock.now
        await #expect(throws: CeleryError.self) { try await broker.connect() }
        #expect(ContinuousClock.now - start < .seconds(8))
    }

    @Test func tlsQueryOptionsNeedAmqps() throws {
        #expect(throws: (any Error).self) { _ = try AMQPConfiguration(url: "amqp://localhost/?ssl_ca_certs=/tmp/ca.pem") }
        #expect(throws: (any Error).self) { _ = try AMQPConfiguration(url: "amqps://localhost/?ssl_cert_reqs=sometimes") }
        let c = try AMQPConfiguration(url: "amqps://localhost/?ssl_cert_reqs=optional&ssl_ca_certs=/tmp/ca.pem")
        #expect(c.tls?.certificateVerification == .noHostnameVerification)
        #expect(c.port == 5671)
    }
}
