import Foundation
import Testing

/// The servers `scripts/test.sh` starts (scripts/services/*.sh) and exports to the tests:
/// `CELERY_TEST_REDIS_URL`, `CELERY_TEST_AMQP_URL`, `CELERY_TEST_MONGO_URL`.
///
/// A variable that is unset is a recorded test failure when `CI` is set (in CI nothing is
/// skipped); otherwise the lookup returns `nil` and prints a note, so one test target can be
/// run by hand with only the servers it needs.
public enum LiveServers {
    /// `CELERY_TEST_REDIS_URL`.
    public static let redisVariable = "CELERY_TEST_REDIS_URL"
    /// `CELERY_TEST_AMQP_URL`.
    public static let amqpVariable = "CELERY_TEST_AMQP_URL"
    /// `CELERY_TEST_MONGO_URL`.
    public static let mongoVariable = "CELERY_TEST_MONGO_URL"

    /// The process environment.
    public static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether tests run in CI (`CI` set and not empty): a missing server must fail there.
    public static var inCI: Bool { environment["CI"].map { !$0.isEmpty } ?? false }

    /// The script that starts the server a variable names.
    static func script(_ variable: String) -> String {
        switch variable {
        case redisVariable: return "source scripts/services/redis.sh; redis_start"
        case amqpVariable: return "source scripts/services/rabbitmq.sh; rabbitmq_start"
        case mongoVariable: return "source scripts/services/mongo.sh; mongo_start"
        default: return "scripts/test.sh"
        }
    }

    /// The value of `variable`; unset or empty: a recorded failure in CI, else a note and `nil`.
    public static func url(_ variable: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let u = environment[variable], !u.isEmpty { return u }
        if inCI {
            Issue.record("\(variable) is not set (\(script(variable)))", sourceLocation: sourceLocation)
        } else {
            print("note: \(variable) is not set; skipping a live-server test (\(script(variable)))")
        }
        return nil
    }

    /// The value of `variable`, or a thrown error whether in CI or not (for suites that only
    /// make sense with the server).
    public static func required(_ variable: String) throws -> String {
        guard let u = environment[variable], !u.isEmpty else { throw MissingServer(variable: variable) }
        return u
    }

    /// The Redis under test (see ``url(_:sourceLocation:)``).
    public static func redis(sourceLocation: SourceLocation = #_sourceLocation) -> String? { url(redisVariable, sourceLocation: sourceLocation) }
    /// The RabbitMQ under test.
    public static func amqp(sourceLocation: SourceLocation = #_sourceLocation) -> String? { url(amqpVariable, sourceLocation: sourceLocation) }
    /// The MongoDB-protocol server under test.
    public static func mongo(sourceLocation: SourceLocation = #_sourceLocation) -> String? { url(mongoVariable, sourceLocation: sourceLocation) }

    /// `prefix-` and eight random hex digits (lower case): a queue, key or collection no
    /// other test uses.
    public static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The repository root (this file is Tests/CeleryTestSupport/LiveServers.swift).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Where `swift build` put the executables: `CELERY_BIN_DIR`, else `<root>/.build/debug`.
    public static var binDirectory: String { environment["CELERY_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? repositoryRoot + "/.build/debug" }
}

/// A live-server variable is not set.
public struct MissingServer: Error, CustomStringConvertible {
    /// The variable.
    public var variable: String
    public var description: String { "\(variable) is not set: \(LiveServers.script(variable)) starts the server" }
}
