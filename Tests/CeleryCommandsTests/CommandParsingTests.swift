import ArgumentParser
import Celery
import Foundation
import Testing

@testable import CeleryBench
@testable import CeleryCommands

enum NoTasks: TaskProvider {
    static let appName = "none"
    static func register(on app: Celery) {}
}

@Suite struct CommandParsingTests {
    @Test func workerFlagsMapToOptions() throws {
        let c = try WorkerCommand<NoTasks>.parse([
            "--broker", "memory://x", "-c", "3", "-Q", "a, b", "--broadcast", "cast", "--prefetch-multiplier", "2", "--acks-early",
            "--max-deliveries", "7", "--time-limit", "10", "--soft-time-limit", "5", "-n", "w1@h", "--without-events", "-l", "debug",
            "--heartbeat-interval", "5", "--no-track-started",
        ])
        let o = c.workerOptions
        #expect(o.concurrency == 3)
        #expect(o.queues == ["a", "b"])
        #expect(o.broadcasts == ["cast"])
        #expect(o.prefetch == 6)
        #expect(!o.acksLate)
        #expect(o.maxDeliveries == 7)
        #expect(o.hardTimeLimit == .seconds(10))
        #expect(o.softTimeLimit == .seconds(5))
        #expect(o.hostname == "w1@h")
        #expect(c.withoutEvents)
        #expect(!o.sendEvents)
        #expect(o.heartbeatInterval == .seconds(5))
        #expect(!o.trackStarted)
    }

    @Test func workerDefaults() throws {
        let c = try WorkerCommand<NoTasks>.parse([])
        #expect(c.workerOptions.queues == ["celery"])
        #expect(c.workerOptions.acksLate)
        #expect(c.workerOptions.sendEvents && c.workerOptions.trackStarted)
        #expect(c.workerOptions.prefetch == max(8, 2 * ProcessInfo.processInfo.activeProcessorCount) * 4)
        #expect(c.connection.brokerURL(default: "redis://127.0.0.1:6379/0").hasPrefix("redis://") || ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] != nil)
    }

    @Test func visibilityTimeoutGoesIntoTheRedisURL() throws {
        let c = try WorkerCommand<NoTasks>.parse(["--broker", "redis://:pw@h:6379/0", "--visibility-timeout", "60"])
        #expect(c.effectiveBrokerURL == "redis://:pw@h:6379/0?visibility_timeout=60")
    }

    @Test(arguments: [
        ["-c", "0"], ["--prefetch-multiplier", "0"], ["--broker", "not a url"], ["--loglevel", "loud"], ["-Q", ""],
        ["--soft-time-limit", "-1"], ["--max-deliveries", "0"],
    ])
    func workerRejectsBadFlags(args: [String]) {
        #expect(throws: (any Error).self) { try WorkerCommand<NoTasks>.parse(args) }
    }

    @Test func adminSubcommandsParse() throws {
        let call = try CallCommand.parse(["tasks.add", "--args", "[2, 4]", "--kwargs", "{}", "--queue", "q", "--countdown", "5", "--priority", "3", "--wait", "--timeout", "9"])
        #expect(call.name == "tasks.add")
        #expect(call.wait)
        _ = try ResultCommand.parse(["abc", "--wait", "--timeout", "3"])
        _ = try TasksCommand.parse(["--state", "SUCCESS", "--name", "tasks.add", "--since", "10m", "--limit", "5"])
        _ = try InspectCommand.parse(["active", "-d", "w1@h", "--timeout", "2"])
        _ = try ControlCommand.parse(["revoke", "id1", "id2", "--terminate"])
        _ = try ControlCommand.parse(["rate_limit", "tasks.add", "10/s"])
        _ = try PurgeCommand.parse(["-Q", "a,b", "-f"])
        _ = try StatusCommand.parse(["--json"])
        _ = try EventsCommand.parse(["--json", "--duration", "1"])
        _ = try DemoCommand.parse(["fanout", "crash", "--consumers", "2", "--messages", "10", "--json", "--report", "/tmp/x.html"])
    }

    @Test(arguments: [
        ["tasks.add", "--args", "[1, x]"], ["tasks.add", "--args", "{\"a\": 1}"], ["tasks.add", "--kwargs", "[1]"],
        ["tasks.add", "--queue", "a", "--broadcast", "b"], ["tasks.add", "--eta", "tomorrow"],
    ])
    func callRejectsBadInput(args: [String]) {
        #expect(throws: (any Error).self) { try CallCommand.parse(args) }
    }

    @Test func badJSONNamesThePosition() {
        #expect(JSONLocator.locate("[1, x]") == "invalid value 'x' at character 5")
        #expect(JSONLocator.locate("[1, 2") == "unexpected end of input at character 6")
        #expect(JSONLocator.locate("{\"a\" 1}") == "unexpected '1' at character 6")
        #expect(JSONLocator.locate("[1] 2") == "trailing '2' at character 5")
    }

    @Test func otherCommandsRejectBadInput() {
        #expect(throws: (any Error).self) { try InspectCommand.parse(["everything"]) }
        #expect(throws: (any Error).self) { try ControlCommand.parse(["revoke"]) }
        #expect(throws: (any Error).self) { try ControlCommand.parse(["rate_limit", "tasks.add"]) }
        #expect(throws: (any Error).self) { try TasksCommand.parse(["--since", "yesterday"]) }
        #expect(throws: (any Error).self) { try DemoCommand.parse(["everything"]) }
        #expect(throws: (any Error).self) { try DemoCommand.parse(["--consumers", "0"]) }
    }

    @Test func timeSpecs() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(TimeSpec.parse("10m", now: now) == Date(timeIntervalSince1970: 1_000_000 - 600))
        #expect(TimeSpec.parse("2026-11-27T00:00:00Z", now: now) != nil)
        #expect(TimeSpec.parse("soon", now: now) == nil)
    }
}
