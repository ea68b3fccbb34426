import RESP
import Testing

@testable import CeleryRedis

/// The consumer's fetch-and-settlement machine, driven without a server.
@Suite struct RedisConsumerStateMachineTests {
    typealias Machine = RedisConsumerStateMachine<String>

    static func items(_ tags: String...) -> [(tag: String, item: String)] { tags.map { ($0, "item-\($0)") } }

    @Test func fetchesTheFreeSlotsAndWaitsAfterAShortPop() {
        var m = Machine(prefetch: 4)
        let v1 = m.nextFetch()
        #expect(v1 == .fetch(.pop, count: 4, recover: []))
        _ = m.fetched(Self.items("a", "b"), asked: 4)
        #expect(m.held == ["a", "b"])
        // Fewer than asked: the queue was empty, so the next fetch waits first.
        let v2 = m.nextFetch()
        #expect(v2 == .fetch(.waitThenPop, count: 2, recover: []))
        _ = m.fetched(Self.items("c", "d"), asked: 2)
        let v3 = m.nextFetch()
        #expect(v3 == .waitForSlot)
    }

    @Test func aFullPopPopsAgainAtOnce() {
        var m = Machine(prefetch: 2)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a"), asked: 2)
        let v4 = m.nextFetch()
        #expect(v4 == .fetch(.waitThenPop, count: 1, recover: []))
        _ = m.fetched(Self.items("b"), asked: 1)
        _ = m.released(["a", "b"])
        let v5 = m.nextFetch()
        #expect(v5 == .fetch(.pop, count: 2, recover: []))
    }

    @Test func readersTakeFromTheBufferOrParkAndGetHandOffsInOrder() {
        var m = Machine(prefetch: 4)
        guard case .park(let r1) = m.read(), case .park(let r2) = m.read() else {
            Issue.record("readers should park on an empty buffer")
            return
        }
        _ = m.nextFetch()
        let r = m.fetched(Self.items("a", "b", "c"), asked: 4)
        #expect(r.handOff.map(\.reader) == [r1, r2])
        #expect(r.handOff.map(\.item) == ["item-a", "item-b"])
        #expect(m.bufferedCount == 1)
        guard case .deliver(let item) = m.read() else {
            Issue.record("buffered item should be delivered")
            return
        }
        #expect(item == "item-c")
        #expect(m.held == ["a", "b", "c"])
    }

    @Test func aCancelledReaderIsResumedOnceAndSkipped() {
        var m = Machine(prefetch: 2)
        guard case .park(let r1) = m.read() else { Issue.record("should park"); return }
        let first = m.readerCancelled(r1)
        let second = m.readerCancelled(r1)
        #expect(first)
        #expect(!second)
        _ = m.nextFetch()
        let r = m.fetched(Self.items("a"), asked: 2)
        #expect(r.handOff.isEmpty)
        #expect(m.bufferedCount == 1)
    }

    @Test func aFailedSettlementStillFreesTheSlotAndWakesTheFetcher() {
        var m = Machine(prefetch: 1)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a"), asked: 1)
        let v6 = m.nextFetch()
        #expect(v6 == .waitForSlot)
        // The ack could not be sent (connection lost): the delivery leaves the held set anyway.
        let v7 = m.released(["a"])
        #expect(v7)
        #expect(m.held.isEmpty)
        let v8 = m.nextFetch()
        #expect(v8 == .fetch(.pop, count: 1, recover: []))
    }

    @Test func aLostPopIsRecoveredBeforeTheNextFetchAndAgainIfRecoveryFails() {
        var m = Machine(prefetch: 3)
        _ = m.nextFetch()
        m.fetchFailed(lostScore: "100.000001")
        let v9 = m.nextFetch()
        #expect(v9 == .fetch(.pop, count: 3, recover: ["100.000001"]))
        m.recoveryFailed(["100.000001"])
        m.fetchFailed(lostScore: nil)
        let v10 = m.nextFetch()
        #expect(v10 == .fetch(.pop, count: 3, recover: ["100.000001"]))
        _ = m.fetched([], asked: 3)
        let v11 = m.nextFetch()
        #expect(v11 == .fetch(.waitThenPop, count: 3, recover: []))
    }

    @Test func noScriptBehindTheWaitPopsThroughThePoolNext() {
        var m = Machine(prefetch: 2)
        _ = m.nextFetch()
        _ = m.fetched([], asked: 2)
        let v12 = m.nextFetch()
        #expect(v12 == .fetch(.waitThenPop, count: 2, recover: []))
        m.scriptMissing()
        let v13 = m.nextFetch()
        #expect(v13 == .fetch(.pop, count: 2, recover: []))
    }

    @Test func stopEndsParkedReadersGivesBackTheBufferAndKeepsHandedOutDeliveries() {
        var m = Machine(prefetch: 4)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a", "b"), asked: 4)
        _ = m.read()  // "a" handed out
        _ = m.read()  // "b" handed out
        guard case .park = m.read() else { Issue.record("an empty buffer parks the reader"); return }
        let s = m.stop()
        #expect(s.restore.isEmpty)
        #expect(s.readers.count == 1)
        #expect(m.held == ["a", "b"])
        let v14 = m.nextFetch()
        #expect(v14 == .finish)
        if case .end = m.read() {} else { Issue.record("a stopped consumer ends readers") }
    }

    @Test func stopRestoresBufferedDeliveries() {
        var m = Machine(prefetch: 4)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a", "b", "c"), asked: 4)
        _ = m.read()
        let s = m.stop()
        #expect(s.restore == ["b", "c"])
        #expect(m.held == ["a"])
        // Settling a held delivery after stop still works.
        #expect(m.isHeld("a"))
        _ = m.released(["a"])
        let c = m.cancel()
        #expect(c.restore.isEmpty)
        #expect(m.phase == .cancelled)
    }

    @Test func cancelGivesBackEverythingHeld() {
        var m = Machine(prefetch: 4)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("b", "a"), asked: 4)
        _ = m.read()
        let c = m.cancel()
        #expect(Set(c.restore) == ["a", "b"])
        #expect(m.held.isEmpty)
        let v15 = m.cancel().restore
        #expect(v15.isEmpty)
    }

    @Test func aFetchThatEndsAfterStopIsGivenBack() {
        var m = Machine(prefetch: 2)
        _ = m.nextFetch()
        _ = m.stop()
        let r = m.fetched(Self.items("x"), asked: 2)
        #expect(r.restore == ["x"])
        #expect(m.held.isEmpty)
    }

    @Test func stopWakesAFetcherWaitingForASlot() {
        var m = Machine(prefetch: 1)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a"), asked: 1)
        let v16 = m.nextFetch()
        #expect(v16 == .waitForSlot)
        let v17 = m.stop().wakeFetcher
        #expect(v17)
        let v18 = m.nextFetch()
        #expect(v18 == .finish)
    }

    @Test func raisingPrefetchWakesTheFetcher() {
        var m = Machine(prefetch: 1)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a"), asked: 1)
        let v19 = m.nextFetch()
        #expect(v19 == .waitForSlot)
        let v20 = m.adjustPrefetch(by: 2)
        #expect(v20)
        let v21 = m.nextFetch()
        #expect(v21 == .fetch(.pop, count: 2, recover: []))
        let v22 = m.adjustPrefetch(by: -10)
        #expect(!v22)
        #expect(m.prefetch == 1)
    }

    @Test func withDeliveriesBufferedItWaitsForHalfThePrefetchBeforeFetching() {
        var m = Machine(prefetch: 8)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a", "b", "c", "d", "e", "f", "g", "h"), asked: 8)
        // Three handed out and settled: 3 free slots, 5 still buffered → wait for 4.
        for _ in 0..<3 { _ = m.read() }
        _ = m.released(["a", "b", "c"])
        let v1 = m.nextFetch()
        #expect(v1 == .waitForSlot)
        _ = m.read()
        let woke = m.released(["d"])
        #expect(woke)
        let v2 = m.nextFetch()
        #expect(v2 == .fetch(.pop, count: 4, recover: []))
    }

    @Test func anEmptyBufferOrAParkedReaderFetchesWhatIsFreeAfterTheBatchWindow() {
        var m = Machine(prefetch: 8)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a", "b", "c", "d", "e", "f", "g", "h"), asked: 8)
        for _ in 0..<8 { _ = m.read() }
        _ = m.released(["a"])
        // Nothing buffered, one free slot: wait for more slots or the window's end.
        let v1 = m.nextFetch()
        #expect(v1 == .waitForBatch)
        let early = m.released(["b"])  // 2 free of the 4 a fetch wants at once
        #expect(!early)
        let ended = m.batchWindowEnded()
        #expect(ended)
        let v2 = m.nextFetch()
        #expect(v2 == .fetch(.pop, count: 2, recover: []))
        _ = m.fetched(Self.items("i", "j"), asked: 2)
        _ = m.released(["c"])
        let v3 = m.nextFetch()  // "i", "j" buffered, 1 free: wait (no window: the worker has work)
        #expect(v3 == .waitForSlot)
        _ = m.read()
        let notYet = m.wakeIfWaiting()
        #expect(!notYet)
        _ = m.read()  // takes "j": the buffer is empty now, so the window starts
        let woke = m.wakeIfWaiting()
        #expect(woke)
        let v4 = m.nextFetch()
        #expect(v4 == .waitForBatch)
        // Enough slots free within the window: fetch at once, the window's end changes nothing.
        let full = m.released(["d", "e", "f"])
        #expect(full)
        let v5 = m.nextFetch()
        #expect(v5 == .fetch(.pop, count: 4, recover: []))
    }

    @Test func slotsHeldForETAMessagesDoNotRaiseTheBatchThreshold() {
        var m = Machine(prefetch: 4)
        #expect(m.refillAt == 2)
        _ = m.adjustPrefetch(by: 20)
        #expect(m.refillAt == 2)
        _ = m.nextFetch()
        _ = m.fetched(Self.items("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v"), asked: 24)
        // 22 held (20 waiting for their ETA), 2 free: enough for a fetch at once.
        let v1 = m.nextFetch()
        #expect(v1 == .fetch(.waitThenPop, count: 2, recover: []))
    }

    @Test func failedAcksAreSentAgainUnlessTheScriptItselfFailed() {
        #expect(RedisQueueConsumer.ackWorthRetrying(RESPError(.connection, "reset")))
        #expect(RedisQueueConsumer.ackWorthRetrying(RESPError(.timeout, "no reply")))
        #expect(RedisQueueConsumer.ackWorthRetrying(RESPError(.server, "LOADING Redis is loading the dataset in memory")))
        #expect(RedisQueueConsumer.ackWorthRetrying(RESPError(.server, "READONLY You can't write against a read only replica.")))
        #expect(!RedisQueueConsumer.ackWorthRetrying(RESPError(.server, "ERR Error running script")))
    }
}
