import Synchronization
import Celery
import Foundation
import Testing

/// One contract, every transport: the two delivery modes keep their semantics everywhere.
@Suite struct BrokerContractTests {
    @Test(arguments: TestServers.brokers)
    func broadcastFansOutToEverySubscriber(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let channel = TestServers.unique("fanout")
        var subs: [any MessageConsumer] = []
        for _ in 0..<3 { subs.append(try await broker.consume(.broadcast(channel), options: ConsumeOptions())) }
        try await Task.sleep(for: .milliseconds(100))  // subscriptions become active
        for i in 0..<5 {
            let r = try await broker.publish(message(i), to: .broadcast(channel))
            #expect(r.receivers == nil || r.receivers == 3)
        }
        for s in subs {
            var got: [Int] = []
            for _ in 0..<5 { if let d = try await next(s) { got.append(number(d) ?? -1) } }
            #expect(got == [0, 1, 2, 3, 4])
            await s.cancel()
        }
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func broadcastWithNoSubscriberIsDropped(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let channel = TestServers.unique("nobody")
        let r = try await broker.publish(message(1), to: .broadcast(channel))
        #expect(r.receivers == nil || r.receivers == 0)
        let late = try await broker.consume(.broadcast(channel), options: ConsumeOptions())
        #expect(try await next(late, within: .milliseconds(300)) == nil)
        await late.cancel()
        try await broker.close()
    }

    /// Several tasks may wait in `next()` on one consumer at once (a pool of takers): every
    /// message reaches exactly one of them and none is left waiting forever.
    @Test(arguments: TestServers.brokers)
    func oneConsumerServesConcurrentReaders(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("readers")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        let total = 40
        let take = SharedTake(target: total)
        let seen = try await withThrowingTaskGroup(of: [Int].self) { g in
            for _ in 0..<6 {
                g.addTask { try await take.run(c) }
            }
            try await Task.sleep(for: .milliseconds(200))  // the readers are waiting now
            for i in 0..<total { _ = try await broker.publish(message(i), to: .queue(q)) }
            var all: [[Int]] = []
            for try await part in g { all.append(part) }
            return all
        }
        let all = seen.flatMap { $0 }
        #expect(all.count == total, "\(seen.map(\.count))")
        #expect(Set(all) == Set(0..<total))
        await c.cancel()
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func queueDeliversEachMessageExactlyOnce(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("once")
        var consumers: [any MessageConsumer] = []
        for _ in 0..<3 { consumers.append(try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))) }
        let total = 30
        for i in 0..<total { _ = try await broker.publish(message(i), to: .queue(q)) }
        let take = SharedTake(target: total)
        let seen = try await withThrowingTaskGroup(of: [Int].self) { g in
            for c in consumers {
                g.addTask { try await take.run(c) }
            }
            var all: [[Int]] = []
            for try await part in g { all.append(part) }
            return all
        }
        let all = seen.flatMap { $0 }
        #expect(all.count == total)
        #expect(Set(all) == Set(0..<total))
        #expect(seen.filter { !$0.isEmpty }.count >= 2, "load is shared: \(seen.map(\.count))")
        for c in consumers { await c.cancel() }
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func queueRetainsMessagesWhileNobodyConsumes(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("retain")
        // Declare by consuming once, then go away.
        let first = try await broker.consume(.queue(q), options: ConsumeOptions())
        await first.cancel()
        for i in 0..<5 { _ = try await broker.publish(message(i), to: .queue(q)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await broker.queueLength(q) == 5)
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 10))
        var got: [Int] = []
        for _ in 0..<5 {
            let d = try #require(try await next(c))
            got.append(number(d) ?? -1)
            try await d.ack()
        }
        #expect(got.sorted() == [0, 1, 2, 3, 4])
        #expect(try await broker.queueLength(q) == 0)
        await c.cancel()
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func unackedMessagesAreRedeliveredWhenTheirConsumerGoes(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("redeliver")
        let dying = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 5))
        for i in 0..<3 { _ = try await broker.publish(message(i), to: .queue(q)) }
        var held: [Int] = []
        for _ in 0..<3 {
            let d = try #require(try await next(dying))
            #expect(!d.redelivered)
            held.append(number(d) ?? -1)
        }
        await dying.cancel()
        let survivor = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 5))
        var again: [Int] = []
        for _ in 0..<3 {
            let d = try #require(try await next(survivor))
            #expect(d.redelivered)
            #expect(d.deliveryCount >= 2)
            again.append(number(d) ?? -1)
            try await d.ack()
        }
        #expect(again.sorted() == held.sorted())
        await survivor.cancel()
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func prefetchBoundsUnackedDeliveries(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("prefetch")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 2))
        for i in 0..<5 { _ = try await broker.publish(message(i), to: .queue(q)) }
        let a = try #require(try await next(c))
        _ = try #require(try await next(c))
        #expect(try await next(c, within: .milliseconds(400)) == nil, "a third delivery exceeds prefetch 2")
        try await a.ack()
        #expect(try await next(c) != nil, "acking frees a slot")
        await c.cancel()
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func requeueRedeliversAndDeadLetterDoesNot(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("settle")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 1))
        _ = try await broker.publish(message(7), to: .queue(q))
        let d1 = try #require(try await next(c))
        try await d1.requeue()
        let d2 = try #require(try await next(c))
        #expect(number(d2) == 7)
        #expect(d2.redelivered)
        #expect(d2.deliveryCount >= 2)
        try await d2.deadLetter(reason: "contract test")
        #expect(try await next(c, within: .milliseconds(400)) == nil, "a dead-lettered message is not redelivered")
        #expect(try await broker.queueLength(q) == 0)
        await c.cancel()
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func stoppedConsumerKeepsWhatItHolds(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("stop")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        for i in 0..<2 { _ = try await broker.publish(message(i), to: .queue(q)) }
        let held = try #require(try await next(c))
        await c.stopDeliveries()
        #expect(try await next(c, within: .milliseconds(300)) == nil)
        try await held.ack()  // still acknowledgeable after deliveries stopped
        await c.cancel()
        let other = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 4))
        let rest = try #require(try await next(other))
        #expect(number(rest) != number(held))
        try await rest.ack()
        #expect(try await next(other, within: .milliseconds(300)) == nil)
        await other.cancel()
        try await broker.close()
    }

    @Test(arguments: TestServers.brokers)
    func messagesRoundTripHeadersAndProperties(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("roundtrip")
        let c = try await broker.consume(.queue(q), options: ConsumeOptions())
        let sent = try TaskMessage(task: "tasks.echo", args: ["ü", 1.5, ["a": nil]]).brokerMessage()
        _ = try await broker.publish(sent, to: .queue(q))
        let d = try #require(try await next(c))
        var m = try TaskMessage(d.message)
        if m.priority == 0 { m.priority = nil }  // a transport may report its default priority
        let expected = try TaskMessage(sent)
        #expect(m.headers == expected.headers)
        #expect(m.args == expected.args && m.kwargs == expected.kwargs && m.embed == expected.embed)
        #expect(m == expected)
        #expect(d.message.correlationId == sent.correlationId)
        try await d.ack()
        await c.cancel()
        try await broker.close()
    }

    /// `publish(batch:)` (how the worker sends events) keeps order in both modes.
    @Test(arguments: TestServers.brokers)
    func batchPublishKeepsOrderInBothModes(url: String) async throws {
        let broker = try await TestServers.broker(url)
        let q = TestServers.unique("batch")
        let channel = TestServers.unique("batchfan")
        let sub = try await broker.consume(.broadcast(channel), options: ConsumeOptions())
        try await Task.sleep(for: .milliseconds(100))
        try await broker.publish(batch: (0..<40).map { message($0) }, to: .queue(q))
        try await broker.publish(batch: (0..<40).map { message($0) }, to: .broadcast(channel))
        let c = try await broker.consume(.queue(q), options: ConsumeOptions(prefetch: 64))
        var fromQueue: [Int] = [], fromChannel: [Int] = []
        for _ in 0..<40 {
            if let d = try await next(c) { fromQueue.append(number(d) ?? -1); try await d.ack() }
            if let d = try await next(sub) { fromChannel.append(number(d) ?? -1) }
        }
        #expect(fromQueue == Array(0..<40))
        #expect(fromChannel == Array(0..<40))
        #expect(try await broker.queueLength(q) == 0)
        await c.cancel()
        await sub.cancel()
        try await broker.close()
    }
}

/// Takes and acknowledges deliveries until none arrives for `idle`; returns their numbers.
/// Messages taken by readers that share one target: each reader takes and acks until the
/// readers together have `target` messages, or `deadline` passes (so a slow, loaded machine
/// only makes the test slower, not wrong), then waits `quiet` more for anything extra
/// (a duplicate) before it stops.
private final class SharedTake: Sendable {
    let taken = Mutex(0)
    let target: Int
    let deadline: ContinuousClock.Instant
    init(target: Int, within limit: Duration = .seconds(60)) {
        self.target = target
        deadline = .now + limit
    }

    func run(_ c: any MessageConsumer, quiet: Duration = .milliseconds(300)) async throws -> [Int] {
        var got: [Int] = []
        while taken.withLock({ $0 }) < target, ContinuousClock.now < deadline {
            guard let d = try await next(c, within: .milliseconds(250)) else { continue }
            got.append(number(d) ?? -1)
            taken.withLock { $0 += 1 }
            try await d.ack()
        }
        while let d = try await next(c, within: quiet) {
            got.append(number(d) ?? -1)
            try await d.ack()
        }
        return got
    }
}

