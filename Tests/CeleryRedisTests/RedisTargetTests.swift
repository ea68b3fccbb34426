import Celery
import Logging
import RESP
import Testing

@testable import CeleryRedis

/// The URL logic of failover lists and Sentinel (no server needed): what each entry becomes,
/// which options win, and that no password of a list ever shows.
@Suite struct RedisTargetTests {
    static let logger = Logger(label: "test")

    @Test func sentinelListNamesTheSentinelsAndTheMaster() throws {
        let t = try RedisTarget(
            url: "sentinel://:masterpw@10.0.0.1:26379/3;sentinel://10.0.0.2:26380;sentinel://10.0.0.3?master_name=mymaster",
            what: "broker", logger: Self.logger)
        let s = try #require(t.connector as? RedisSentinel)
        #expect(s.masterName == "mymaster")
        #expect(s.sentinels.map(\.peer) == ["10.0.0.1:26379", "10.0.0.2:26380", "10.0.0.3:26379"])
        #expect(s.sentinels.allSatisfy { $0.password == nil })
        // The URL's password and database are the master's (kombu's reading).
        #expect(s.master.password == "masterpw")
        #expect(s.master.database == 3)
        #expect(t.configuration.database == 3)
        #expect(t.configuration.queryValue("master_name") == nil)
    }

    @Test func sentinelOptionsMayBeOnAnyEntryAndTheFirstWins() throws {
        let t = try RedisTarget(
            url: "sentinel://h1:1?visibility_timeout=7;sentinel://h2:2?master_name=m&visibility_timeout=9&sentinel_password=sp",
            what: "broker", logger: Self.logger)
        let s = try #require(t.connector as? RedisSentinel)
        #expect(s.masterName == "m")
        #expect(s.sentinels.allSatisfy { $0.password == "sp" })
        #expect(t.configuration.queryValue("visibility_timeout") == "7")
        #expect(t.configuration.queryValue("sentinel_password") == nil)
    }

    @Test func sentinelWithoutMasterNameIsAClearErrorWithPasswordsMasked() throws {
        let e = #expect(throws: CeleryError.self) {
            _ = try RedisTarget(url: "sentinel://:pw1@h1:26379;sentinel://:pw2@h2:26379", what: "broker", logger: Self.logger)
        }
        let text = "\(e!)"
        #expect(text.contains("master_name"))
        #expect(!text.contains("pw1") && !text.contains("pw2"))
    }

    @Test func everyPasswordOfASentinelListIsMasked() throws {
        let url = "sentinel://:alpha@h1:26379;sentinel://user:beta@h2:26380?master_name=m&sentinel_password=gamma"
        let t = try RedisTarget(url: url, what: "broker", logger: Self.logger)
        for secret in ["alpha", "beta", "gamma"] {
            #expect(!t.displayURL.contains(secret), "\(t.displayURL)")
            #expect(!ConnectionURL.mask(url).contains(secret))
            #expect(!(try ConnectionURL(url)).masked.contains(secret))
        }
        #expect(t.displayURL.contains("h1:26379") && t.displayURL.contains("h2:26380") && t.displayURL.contains("master m"))
        // An error that quotes the list masks it too.
        let bad = try RedisTarget(url: url + "&wait_replicas=zero", what: "broker", logger: Self.logger)
        let e = #expect(throws: CeleryError.self) { _ = try RedisReplicaWait(bad.configuration, display: bad.displayURL) }
        #expect("\(e!)".contains("wait_replicas"))
        for secret in ["alpha", "beta", "gamma"] { #expect(!"\(e!)".contains(secret)) }
    }

    @Test func mixingSentinelAndRedisIsRefused() {
        #expect(throws: CeleryError.self) {
            _ = try RedisTarget(url: "sentinel://h1:26379?master_name=m;redis://h2:6379/0", what: "broker", logger: Self.logger)
        }
    }

    @Test func redisListHasOneConfigurationPerNode() throws {
        let t = try RedisTarget(
            url: "redis://:pwone@h1:6379/2;rediss://:pwtwo@h2:6380/2?ssl_cert_reqs=none&visibility_timeout=5;redis://h3/2?failover_strategy=shuffle",
            what: "broker", logger: Self.logger)
        let e = try #require(t.connector as? RedisEndpoints)
        #expect(e.nodes.map(\.peer) == ["h1:6379", "h2:6380", "h3:6379"])
        #expect(e.nodes.map(\.password) == ["pwone", "pwtwo", nil])
        #expect(e.nodes[1].tls != nil && e.nodes[0].tls == nil)
        // Broker options come from any entry.
        #expect(t.configuration.queryValue("visibility_timeout") == "5")
        #expect(!t.displayURL.contains("pwone") && !t.displayURL.contains("pwtwo"), "\(t.displayURL)")
    }

    @Test func badFailoverStrategyIsRefusedWithPasswordsMasked() {
        let e = #expect(throws: CeleryError.self) {
            _ = try RedisTarget(url: "redis://:pw1@h1/0;redis://:pw2@h2/0?failover_strategy=random", what: "broker", logger: Self.logger)
        }
        #expect("\(e!)".contains("failover_strategy"))
        #expect(!"\(e!)".contains("pw1") && !"\(e!)".contains("pw2"))
    }

    @Test func singleURLUsesTheFixedConnector() throws {
        let t = try RedisTarget(url: "redis://:pw@h1:6379/1", what: "broker", logger: Self.logger)
        #expect(t.connector is RedisFixedConnector)
        #expect(t.displayURL == "redis://:***@h1:6379/1")
    }

    @Test func replicaWaitOptions() throws {
        func wait(_ q: String) throws -> RedisReplicaWait? {
            try RedisReplicaWait(try RedisConfiguration(url: "redis://h/0" + q), display: "redis://h/0")
        }
        #expect(try wait("") == nil)
        let w = try #require(try wait("?wait_replicas=2&wait_timeout_ms=50"))
        #expect(w.replicas == 2 && w.timeoutMilliseconds == 50)
        #expect(w.command == ["WAIT", RESPValue(2), RESPValue(50)])
        #expect(try wait("?wait_replicas=1")?.timeoutMilliseconds == 100)
        for bad in ["?wait_replicas=0", "?wait_replicas=x", "?wait_timeout_ms=10", "?wait_replicas=1&wait_timeout_ms=0",
                    "?wait_replicas=1&wait_timeout_ms=70000"] {
            #expect(throws: CeleryError.self, "\(bad)") { _ = try wait(bad) }
        }
        // Replies: enough replicas, too few, and the shortfall counter.
        let logger = Self.logger
        #expect(w.check(.integer(2), logger: logger))
        #expect(!w.check(.integer(1), logger: logger))
        #expect(!w.check(.integer(0), logger: logger))
        #expect(w.shortfallCount == 2)
    }

    @Test func connectTriesEachNodeOnceAndNamesTheWholeList() async throws {
        // Three closed ports: each node is tried once, the error names the masked list, and
        // the shared cycle went round once (back at the first node).
        let url = try ConnectionURL("redis://:pw@127.0.0.1:1/0;redis://127.0.0.1:2/0;redis://:pw3@127.0.0.1:3/0")
        let e = try RedisEndpoints(url, logger: Self.logger)
        let err = await #expect(throws: RESPError.self) {
            _ = try await e.connect(logger: Self.logger)
        }
        let text = "\(err!)"
        #expect(text.contains("no node of") && text.contains("127.0.0.1:2"), "\(text)")
        #expect(!text.contains("pw@") && !text.contains("pw3"), "\(text)")
        #expect(e.currentIndex == 0)
    }
}
