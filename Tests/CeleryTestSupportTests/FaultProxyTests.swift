import CeleryTestSupport
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault proxy against a local echo server: each mode does what it says.
@Suite struct FaultProxyTests {
    @Test func passForwardsBothWays() async throws {
        let echo = try await EchoServer.start()
        let proxy = try await FaultProxy.start(upstreamPort: echo.port)
        let c = try await ProxyTestClient.connect(port: proxy.port)
        try await c.send("hello")
        #expect(try await c.receive(5) == "hello")
        #expect(try await proxy.openConnections == 1)
        await c.close()
        try await proxy.stop()
        await echo.stop()
    }

    @Test func cutClosesConnectionsAndRefusesNewOnesUntilPass() async throws {
        let echo = try await EchoServer.start()
        let proxy = try await FaultProxy.start(upstreamPort: echo.port)
        let c = try await ProxyTestClient.connect(port: proxy.port)
        try await c.send("a")
        _ = try await c.receive(1)
        try await proxy.setMode(.cut)
        _ = try await c.closed()
        await #expect(throws: (any Error).self) { _ = try await ProxyTestClient.connect(port: proxy.port) }
        try await proxy.setMode(.pass)
        let d = try await ProxyTestClient.connect(port: proxy.port)
        try await d.send("again")
        #expect(try await d.receive(5) == "again")
        await d.close()
        try await proxy.stop()
        await echo.stop()
    }

    @Test func resetSendsRST() async throws {
        let echo = try await EchoServer.start()
        let proxy = try await FaultProxy.start(upstreamPort: echo.port)
        let c = try await ProxyTestClient.connect(port: proxy.port)
        try await c.send("a")
        _ = try await c.receive(1)
        try await proxy.setMode(.reset)
        #expect(try await c.closed() == ECONNRESET)
        // New connections are reset too until the mode changes.
        // (The reset may come before connect() returns.)
        if let d = try? await ProxyTestClient.connect(port: proxy.port) {
            _ = try await d.closed()
        }
        try await proxy.setMode(.pass)
        let e = try await ProxyTestClient.connect(port: proxy.port)
        try await e.send("ok")
        #expect(try await e.receive(2) == "ok")
        await e.close()
        try await proxy.stop()
        await echo.stop()
    }

    @Test func blackHoleForwardsNothingKeepsSocketsAndReleasesOnPass() async throws {
        let echo = try await EchoServer.start()
        let proxy = try await FaultProxy.start(upstreamPort: echo.port)
        let c = try await ProxyTestClient.connect(port: proxy.port)
        try await c.send("a")
        _ = try await c.receive(1)
        try await proxy.setMode(.blackHole)
        try await c.send("b")
        await #expect(throws: ProxyTestTimeout.self) { _ = try await c.receive(2, within: 1) }
        #expect(c.channel.isActive)
        #expect(try await proxy.openConnections == 1)
        // A new connection is accepted but gets nothing either.
        let d = try await ProxyTestClient.connect(port: proxy.port)
        try await d.send("x")
        await #expect(throws: ProxyTestTimeout.self) { _ = try await d.receive(1, within: 1) }
        try await proxy.setMode(.pass)
        #expect(try await c.receive(2) == "ab")
        #expect(try await d.receive(1) == "x")
        await c.close()
        await d.close()
        try await proxy.stop()
        await echo.stop()
    }

    @Test func slowDelaysEachDirectionInOrder() async throws {
        let echo = try await EchoServer.start()
        let proxy = try await FaultProxy.start(upstreamPort: echo.port)
        let c = try await ProxyTestClient.connect(port: proxy.port)
        try await proxy.setMode(.slow(.milliseconds(200)))
        let clock = ContinuousClock()
        let start = clock.now
        try await c.send("1")
        try await c.send("2")
        try await c.send("3")
        #expect(try await c.receive(3) == "123")
        // 200 ms out, 200 ms back.
        #expect(clock.now - start >= .milliseconds(390))
        try await proxy.setMode(.pass)
        try await c.send("4")
        #expect(try await c.receive(4) == "1234")
        await c.close()
        try await proxy.stop()
        await echo.stop()
    }

    @Test func keepsItsPortAcrossCut() async throws {
        let echo = try await EchoServer.start()
        let proxy = try await FaultProxy.start(upstreamPort: echo.port)
        let port = proxy.port
        try await proxy.setMode(.cut)
        try await proxy.setMode(.pass)
        let c = try await ProxyTestClient.connect(port: port)
        try await c.send("p")
        #expect(try await c.receive(1) == "p")
        #expect(try await proxy.acceptedConnections == 1)
        await c.close()
        try await proxy.stop()
        await echo.stop()
    }
}
