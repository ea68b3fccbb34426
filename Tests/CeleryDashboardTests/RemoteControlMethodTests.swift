import Celery
import Testing

/// The one registry of remote-control commands that the worker, celery-admin and the dashboard read.
struct RemoteControlMethodTests {
    @Test func inspectAndControlListsComeFromTheRegistry() {
        #expect(RemoteControlMethod.inspectCommands.map(\.rawValue).contains("conf"))
        #expect(RemoteControlMethod.controlCommands.map(\.rawValue).contains("pool_grow"))
        #expect(RemoteControlMethod.controlCommands.contains(.ping) && RemoteControlMethod.inspectCommands.contains(.ping))
        #expect(!RemoteControlMethod.controlCommands.contains(.conf))
        for m in RemoteControlMethod.allCases { #expect(!m.summary.isEmpty) }
    }

    @Test func commandLineWordsBecomeArguments() throws {
        #expect(try RemoteControlMethod.rateLimit.arguments(from: ["tasks.add", "10/s"]) == ["task_name": "tasks.add", "rate_limit": "10/s"])
        #expect(try RemoteControlMethod.poolGrow.arguments(from: []) == ["n": 1])
        #expect(try RemoteControlMethod.poolShrink.arguments(from: ["3"]) == ["n": 3])
        #expect(try RemoteControlMethod.revoke.arguments(from: ["a", "b"], terminate: true)["terminate"] == true)
        #expect(throws: CeleryError.self) { try RemoteControlMethod.poolGrow.arguments(from: ["-1"]) }
        #expect(throws: CeleryError.self) { try RemoteControlMethod.rateLimit.arguments(from: ["only-one"]) }
        #expect(throws: CeleryError.self) { try RemoteControlMethod.revoke.arguments(from: []) }
        #expect(throws: CeleryError.self) { try RemoteControlMethod.shutdown.arguments(from: ["extra"]) }
    }
}
