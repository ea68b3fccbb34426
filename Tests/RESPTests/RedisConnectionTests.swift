import Foundation
import Testing

@testable import RESP

@Suite struct RedisConnectionTests {
    @Test func commandsRoundTripAndServerErrorsAreTyped() async throws {
        guard let config = try TestRedis.configuration() else { return }
        let c = try await RedisConnection.connect(config)
        let k = TestRedis.unique("resp-k")
        #expect(try await c.send("SET", k, "v1") == .simpleString("OK"))
        #expect(try await c.send("GET", k).string == "v1")
        #expect(try await c.send("GET", k + "-missing") == .bulkString(nil))
        await #expect { try await c.send("LPUSH", k, "x") } throws: { e in
            guard let e = e as? RESPError else { return false }
            return e.kind == .server && e.serverCode == "WRONGTYPE" && e.message.contains("wrong kind")
        }
        await #expect { try await c.send("NOSUCHCOMMAND") } throws: { ($0 as? RESPError)?.serverCode == "ERR" }
        #expect(try await c.send("DEL", k) == .integer(1))  // the connection is still usable
        await c.close()
    }

    @Test func pipeliningManyCommandsKeepsOrder() async throws {
        guard let config = try TestRedis.configuration() else { return }
        let c = try await RedisConnection.connect(config)
        let k = TestRedis.unique("resp-pipe")
        let n = 5000
        let replies = try await c.pipeline((1...n).map { _ in ["INCR", RESPValue(k)] })
        #expect(replies == (1...n).map { .integer(Int64($0)) })
        // Concurrent sends on one connection are pipelined and matched in order too.
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<200 {
                g.addTask {
                    let key = "\(k)-\(i)"
                    try await c.send(["SET", RESPValue(key), RESPValue(i)])
                    #expect(try await c.send(["GET", RESPValue(key)]).int == Int64(i))
                    try await c.send(["DEL", RESPValue(key)])
                }
            }
            try await g.waitForAll()
        }
        try await c.send(["DEL", RESPValue(k)])
        await c.close()
    }

    @Test func poolBoundsConnectionsAndServesConcurrentCallers() async throws {
        guard let config = try TestRedis.configuration() else { return }
        let pool = RedisConnectionPool(configuration: config, maxConnections: 3)
        let k = TestRedis.unique("resp-pool")
        try await withThrowingTaskGroup(of: Void.self) { g in
            for _ in 0..<50 {
                g.addTask {
                    try await pool.withConnection { c in
                        try await c.send(["INCR", RESPValue(k)])
                        try await Task.sleep(for: .milliseconds(2))
                    }
                }
            }
            try await g.waitForAll()
        }
        #expect(try await pool.send(["GET", RESPValue(k)]).int == 50)
        #expect(await pool.openConnections <= 3)
        try await pool.send(["DEL", RESPValue(k)])
        await pool.close()
        await #expect { try await pool.send(["PING"]) } throws: { ($0 as? RESPError)?.kind == .closed }
    }

    @Test func publishCountsSubscribersAndPatternsReceive() async throws {
        guard let config = try TestRedis.configuration() else { return }
        let ch = TestRedis.unique("resp-ch")
        let pub = try await RedisConnection.connect(config)
        #expect(try await pub.send("PUBLISH", ch, "nobody") == .integer(0))
        let s1 = try await RedisSubscriber(configuration: config)
        let s2 = try await RedisSubscriber(configuration: config)
        try await s1.subscribe([ch])
        try await s2.psubscribe([ch + "*"])
        #expect(try await pub.send("PUBLISH", ch, "hello") == .integer(2))
        var i1 = s1.messages.makeAsyncIterator()
        var i2 = s2.messages.makeAsyncIterator()
        let m1 = await i1.next()
        let m2 = await i2.next()
        #expect(m1 == RedisPubSubMessage(kind: .message, channel: ch, payload: Array("hello".utf8)))
        #expect(m2 == RedisPubSubMessage(kind: .pmessage, channel: ch, pattern: ch + "*", payload: Array("hello".utf8)))
        try await s1.unsubscribe([ch])
        #expect(try await pub.send("PUBLISH", ch, "again") == .integer(1))
        await s1.close()
        await s2.close()
        await pub.close()
    }

    @Test func subscriberResubscribesAfterTheConnectionDrops() async throws {
        guard let config = try TestRedis.configuration() else { return }
        let ch = TestRedis.unique("resp-re")
        let pub = try await RedisConnection.connect(config)
        let s = try await RedisSubscriber(configuration: config, backoff: RedisBackoff(initial: .milliseconds(20)))
        try await s.subscribe([ch])
        await s.dropConnection()
        var received = false
        var iterator = s.messages.makeAsyncIterator()
        for _ in 0..<200 where try await pub.send("PUBLISH", ch, "after").int == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let m = await iterator.next()
        received = m?.payload == Array("after".utf8)
        #expect(received)
        #expect(await s.reconnects == 1)
        await s.close()
        await pub.close()
    }

    @Test func unreachablePortFailsFastNamingHostAndPort() async throws {
        var config = RedisConfiguration(host: "127.0.0.1", port: 1, password: "topsecret", connectTimeout: .seconds(2))
        config.database = 0
        let start = ContinuousClock.now
        await #expect { try await RedisConnection.connect(config) } throws: { e in
            guard let e = e as? RESPError else { return false }
            return e.kind == .connection && e.message.contains("127.0.0.1:1") && !e.message.contains("topsecret")
        }
        #expect(ContinuousClock.now - start < .seconds(30), "bounded: no hang (the connect timeout is 2 s)")
    }

    @Test func tlsAgainstAPlainServerIsATLSError() async throws {
        guard let url = try TestRedis.url() else { return }
        let plain = try RedisConfiguration(url: url)
        var config = try RedisConfiguration(url: "rediss://127.0.0.1:\(plain.port)/0?ssl_cert_reqs=none")
        config.connectTimeout = .seconds(3)
        await #expect { try await RedisConnection.connect(config) } throws: { e in
            guard let e = e as? RESPError else { return false }
            return (e.kind == .tls || e.kind == .timeout) && e.message.contains("127.0.0.1:\(plain.port)")
        }
    }

    @Test func selectAndUnknownDatabase() async throws {
        guard var config = try TestRedis.configuration() else { return }
        config.database = 5
        let c = try await RedisConnection.connect(config)
        let k = TestRedis.unique("resp-db")
        try await c.send("SET", k, "in5")
        config.database = 0
        let c0 = try await RedisConnection.connect(config)
        #expect(try await c0.send("GET", k) == .bulkString(nil))
        try await c.send("DEL", k)
        config.database = 9999
        await #expect { try await RedisConnection.connect(config) } throws: { e in
            guard let e = e as? RESPError else { return false }
            return e.kind == .server && e.message.contains("out of range") && e.message.contains(config.peer)
        }
        await c.close()
        await c0.close()
    }

    @Test func authWithAndWithoutUser() async throws {
        guard let base = try TestRedis.configuration() else { return }
        let port = try TestRedis.startExtraServer(["--requirepass", "s3cret"], basePort: base.port)
        var config = RedisConfiguration(host: "127.0.0.1", port: port)
        var ready = false
        for _ in 0..<100 where !ready {
            do { _ = try await RedisConnection.connect(config); ready = true } catch let e as RESPError where e.kind == .server {
                ready = true  // NOAUTH: the server is up
            } catch { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready)
        await #expect { try await RedisConnection.connect(config) } throws: { ($0 as? RESPError)?.message.contains("NOAUTH") == true }
        config.password = "wrong"
        await #expect { try await RedisConnection.connect(config) } throws: { e in
            guard let e = e as? RESPError else { return false }
            return e.kind == .server && !e.message.contains("wrong\"") && e.message.contains("***")
        }
        let ok = try await RedisConnection.connect(RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(port)/2"))
        #expect(try await ok.send("PING") == .simpleString("PONG"))
        try await ok.send("ACL", "SETUSER", "alice", "on", ">alicepw", "~*", "&*", "+@all")
        let alice = try await RedisConnection.connect(RedisConfiguration(url: "redis://alice:alicepw@127.0.0.1:\(port)/1"))
        #expect(try await alice.send("ACL", "WHOAMI").string == "alice")
        await alice.close()
        _ = try? await ok.send("SHUTDOWN", "NOSAVE")
        await ok.close()
    }
}
