import AMQP091
import Foundation
import Testing

/// The RabbitMQ under test: `CELERY_TEST_AMQP_URL`, started by scripts/services/rabbitmq.sh.
/// Unset: a failure in CI, otherwise `nil` (the test returns early with a note).
func testAMQPURL() -> String? {
    if let url = ProcessInfo.processInfo.environment["CELERY_TEST_AMQP_URL"], !url.isEmpty { return url }
    if ProcessInfo.processInfo.environment["CI"] != nil {
        Issue.record("CELERY_TEST_AMQP_URL is not set (source scripts/services/rabbitmq.sh; rabbitmq_start)")
    } else {
        print("note: CELERY_TEST_AMQP_URL not set; skipping a RabbitMQ test")
    }
    return nil
}

func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }
