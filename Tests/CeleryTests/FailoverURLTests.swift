import Testing

@testable import Celery

/// `;`-separated broker lists (Celery's failover form): parsing, masking, and the node cycle.
@Suite struct FailoverURLTests {
    let list = "amqp://u:pw1@127.0.0.1:5701//?queue_type=quorum;amqp://u:pw2@127.0.0.1:5702//?queue_type=quorum;amqp://u:pw3@127.0.0.1:5703//"

    @Test func aListParsesEachNodeOnItsOwn() throws {
        let u = try ConnectionURL(list)
        #expect(u.nodes.count == 3)
        #expect(u.port == 5701 && u.queryValue("queue_type") == "quorum")
        #expect(u.raw == "amqp://u:pw1@127.0.0.1:5701//?queue_type=quorum")
        #expect(u.failover.map(\.port) == [5702, 5703])
        #expect(u.failover[0].password == "pw2")
        #expect(u.failover[1].queryValue("queue_type") == nil)
        #expect(u.rawList == list)
        #expect(try ConnectionURL("redis://a:1/0").nodes.count == 1)
        #expect(try ConnectionURL("redis://a:1/0;").nodes.count == 1)
    }

    @Test func everyPasswordOfAListIsMasked() throws {
        let u = try ConnectionURL(list)
        for pw in ["pw1", "pw2", "pw3"] { #expect(!u.masked.contains(pw)) }
        #expect(u.masked.hasPrefix("amqp://u:***@127.0.0.1:5701//?queue_type=quorum;amqp://u:***@127.0.0.1:5702//"))
        // Free text that quotes URLs (an error message) is masked too.
        let text = "queue_type must be 'classic' or 'quorum', got 'quorum;amqp://u:pw2@h:5702//?x=1;redis://:pw3@h:1/0'"
        let m = ConnectionURL.mask(text)
        #expect(!m.contains("pw2") && !m.contains("pw3"))
        #expect(m == "queue_type must be 'classic' or 'quorum', got 'quorum;amqp://u:***@h:5702//?x=1;redis://:***@h:1/0'")
        #expect(ConnectionURL.mask("no url here") == "no url here")
        #expect(ConnectionURL.mask("redis://h:1/0") == "redis://h:1/0")
    }

    @Test func aBadNodeOrMixedSchemesAreClearErrors() {
        #expect(throws: CeleryError.self) { try ConnectionURL("amqp://h1//;redis://h2:1/0") }
        do { _ = try ConnectionURL("amqp://u:secret@h1//;amqp://u:secret2@h2:99999//") } catch let e as CeleryError {
            #expect(e.kind == .badURL)
            #expect(!e.message.contains("secret"))
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: Never.self) { try ConnectionURL("redis://h1:1/0;rediss://h2:2/0") }
    }

    @Test func roundRobinBacksOffOncePerCycle() throws {
        var c = try FailoverCycle(ConnectionURL(list))
        #expect(c.strategy == .roundRobin && c.isList)
        #expect(c.current.port == 5701)
        #expect(c.advance() == false)
        #expect(c.current.port == 5702)
        #expect(c.advance() == false)
        #expect(c.current.port == 5703)
        #expect(c.advance() == true)  // all three failed: back off now
        #expect(c.current.port == 5701)
        c.connected()
        #expect(c.advance() == false)  // a new cycle after a success
        #expect(c.current.port == 5702)
    }

    @Test func shuffleVisitsEveryNodeEachCycle() throws {
        var c = try FailoverCycle(ConnectionURL(list + "?failover_strategy=shuffle"))
        #expect(c.strategy == .shuffle)
        for _ in 0..<5 {
            var seen: Set<Int> = []
            for _ in 0..<3 {
                seen.insert(c.current.port ?? 0)
                _ = c.advance()
            }
            #expect(seen == [5701, 5702, 5703])
        }
        #expect(throws: CeleryError.self) { try FailoverCycle(ConnectionURL("amqp://h//?failover_strategy=random")) }
    }

    @Test func aSingleURLIsACycleOfOne() throws {
        var c = try FailoverCycle(ConnectionURL("redis://127.0.0.1:6379/0"))
        #expect(!c.isList)
        #expect(c.advance() == true)
        #expect(c.current.port == 6379)
    }
}

@Suite struct ErrorMaskingTests {
    @Test func anErrorNeverCarriesAPassword() {
        let e = CeleryError(.badURL, "cannot reach amqp://u:pw1@h1:5672//;amqp://u:pw2@h2:5672//")
        #expect(!e.message.contains("pw1") && !e.message.contains("pw2"))
        #expect(!e.description.contains("pw"))
    }
}
