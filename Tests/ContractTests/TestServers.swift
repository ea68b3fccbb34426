import Celery
import CeleryMongo
import CeleryRabbitMQ
import CeleryRedis
import Foundation
import Testing

/// The servers the contract suites run against: `memory://` always, plus each server whose
/// URL the test script exported. In CI every one must be present (see `serversArePresentInCI`).
enum TestServers {
    static let registered: Void = {
        RedisTransport.register()
        RabbitMQTransport.register()
        MongoBackend.register()
    }()

    static let env = ProcessInfo.processInfo.environment
    static let brokerVariables = ["CELERY_TEST_REDIS_URL", "CELERY_TEST_AMQP_URL"]
    static let backendVariables = ["CELERY_TEST_REDIS_URL", "CELERY_TEST_MONGO_URL"]

    /// Broker URLs: `memory://` plus configured servers.
    static var brokers: [String] {
        ["memory://"] + brokerVariables.compactMap { env[$0] }.filter { !$0.isEmpty }
    }

    /// Result backend URLs: `memory://` plus configured servers.
    static var backends: [String] {
        ["memory://"] + backendVariables.compactMap { env[$0] }.filter { !$0.isEmpty }
    }

    /// A fresh broker for a URL; `memory://` gets a private instance per test.
    static func broker(_ url: String) async throws -> any Broker {
        _ = registered
        if url == "memory://" { return InMemoryBroker(name: "contract-\(UUID().uuidString)") }
        return try await TransportRegistry.broker(url: url)
    }

    /// A fresh backend for a URL.
    static func backend(_ url: String) async throws -> any ResultBackend {
        _ = registered
        if url == "memory://" { return InMemoryResultBackend(name: "contract-\(UUID().uuidString)") }
        return try await TransportRegistry.backend(url: url)
    }

    /// A queue/channel name no other test uses.
    static func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }
}

@Test func serversArePresentInCI() {
    guard TestServers.env["CI"] != nil else { return }
    for v in Set(TestServers.brokerVariables + TestServers.backendVariables) {
        #expect(TestServers.env[v]?.isEmpty == false, "\(v) must be set in CI: the test script starts every server")
    }
}

/// Waits for the next delivery up to `timeout`; `nil` if none came.
func next(_ c: any MessageConsumer, within timeout: Duration = .seconds(5)) async throws -> Delivery? {
    try await c.next(within: timeout)
}

/// A task-like message with a counter in its body.
func message(_ n: Int) -> BrokerMessage {
    BrokerMessage(body: Array("[[\(n)], {}, null]".utf8), headers: ["task": "contract.test", "id": .string(UUID().uuidString)], correlationId: "c\(n)")
}

/// The counter carried by `message(_:)`.
func number(_ d: Delivery) -> Int? {
    guard case .array(let parts)? = try? JSONCoding.parse(d.message.body), case .array(let args) = parts.first, let n = args.first?.intValue
    else { return nil }
    return Int(n)
}
