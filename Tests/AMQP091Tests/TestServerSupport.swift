import CeleryTestSupport
import Testing

/// The RabbitMQ under test (``LiveServers/amqp(sourceLocation:)``): unset fails in CI, else skips.
func testAMQPURL() -> String? { LiveServers.amqp() }

func uniqueName(_ prefix: String) -> String { LiveServers.unique(prefix) }
