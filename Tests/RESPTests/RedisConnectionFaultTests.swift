import CeleryTestSupport
import Foundation
import RESP
import Testing

/// A connection through a ``FaultProxy``: every fault fails what is in flight at once or
/// within twice the health-check interval; nothing waits for ever.
@Suite struct RedisConnectionFaultTests {
    static func proxied(_ health: Duration?) async throws -> (FaultProxy, RedisConfiguration)? {
        guard let c = try TestRedis.configuration() else { return nil }
        let proxy = try await FaultProxy.start(upstreamHost: c.host, upstreamPort: c.port)
        var config = c
        config.host = "127.0.0.1"
        config.port = proxy.port
        config.healthCheckInterval = health
        return (proxy, config)
    }

    static func elapsed(_ body: () async throws -> Void) async -> (Duration, (any Error)?) {
        let start = ContinuousClock.now
        do { try await body() } catch { return (ContinuousClock.now - start, error) }
        return (ContinuousClock.now - start, nil)
    }

    @Test(arguments: [FaultProxy.Mode.cut, .reset])
    func aClosedConnectionFailsBlockedAndPipelinedCommandsAtOnce(mode: FaultProxy.Mode) async throws {
        guard let (proxy, config) = try await Self.proxied(nil) else { return }
        let c = try await RedisConnection.connect(config)
        let key = TestRedis.unique("fault-blpop")
        let blocked = Task { try await c.pipeline([["BLPOP", .init(key), "20"], ["PING"]], timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(200))
        try await proxy.setMode(mode)
        let (took, error) = await Self.elapsed { _ = try await blocked.value }
        #expect(error != nil)
        #expect(took < .seconds(2))
        for await _ in c.pushes {}  // finishes once the connection is closed
        try await proxy.setMode(.pass)
        let again = try await RedisConnection.connect(config)
        #expect(try await again.send(["PING"]).string == "PONG")
        await again.close()
        try await proxy.stop()
    }

    @Test func aBlackHoledIdleConnectionIsClosedWithinTwiceTheInterval() async throws {
        guard let (proxy, config) = try await Self.proxied(.seconds(1)) else { return }
        let c = try await RedisConnection.connect(config)
        #expect(try await c.send(["PING"]).string == "PONG")
        try await proxy.setMode(.blackHole)
        let start = ContinuousClock.now
        for await _ in c.pushes {}  // finishes when the connection closes
        let took = ContinuousClock.now - start
        #expect(!c.isActive)
        // 2 × the interval, plus slack for timers on a loaded machine.
        #expect(took <= .milliseconds(3500))
        try await proxy.stop()
    }

    @Test func aCommandInABlackHoleFailsWithinTwiceTheInterval() async throws {
        guard let (proxy, config) = try await Self.proxied(.seconds(1)) else { return }
        let c = try await RedisConnection.connect(config)
        try await proxy.setMode(.blackHole)
        // Its own timeout is 30 s; the health check ends it long before.
        let (took, error) = await Self.elapsed { _ = try await c.send(["GET", "x"], timeout: .seconds(30)) }
        #expect((error as? RESPError)?.kind == .timeout)
        // 2 × the interval, plus slack for timers on a loaded machine.
        #expect(took <= .milliseconds(3500))
        try await proxy.stop()
    }

    @Test func aHealthyConnectionSurvivesIdleHealthChecks() async throws {
        guard let (proxy, config) = try await Self.proxied(.seconds(1)) else { return }
        let c = try await RedisConnection.connect(config)
        try await Task.sleep(for: .seconds(3))
        #expect(c.isActive)
        // A blocking command longer than the interval is not mistaken for a dead connection.
        let r = try await c.send(["BLPOP", .init(TestRedis.unique("fault-idle")), "3"], timeout: .seconds(5))
        #expect(r.isNull)
        #expect(c.isActive)
        await c.close()
        try await proxy.stop()
    }

    @Test func aSubscriberResubscribesAfterABlackHole() async throws {
        guard let (proxy, config) = try await Self.proxied(.seconds(1)) else { return }
        guard let direct = try TestRedis.configuration() else { return }
        let sub = try await RedisSubscriber(configuration: config, backoff: RedisBackoff(initial: .milliseconds(50), maximum: .milliseconds(500)))
        let channel = TestRedis.unique("fault-sub")
        try await sub.subscribe([channel])
        try await proxy.setMode(.blackHole)
        try await Task.sleep(for: .milliseconds(2500))
        try await proxy.setMode(.pass)
        let publisher = try await RedisConnection.connect(direct)
        let got = Task { () -> RedisPubSubMessage? in
            for await m in sub.messages { return m }
            return nil
        }
        // Publish until the resubscribed connection receives (it reconnects after the heal).
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let receivers = try await publisher.send(["PUBLISH", .init(channel), "hello"]).int ?? 0
            if receivers > 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let m = try #require(await got.value)
        #expect(m.payload == Array("hello".utf8))
        #expect(await sub.reconnects >= 1)
        await sub.close()
        await publisher.close()
        try await proxy.stop()
    }
}
