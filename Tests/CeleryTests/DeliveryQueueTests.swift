import Foundation
import Testing

@testable import Celery

@Suite struct DeliveryQueueTests {
    @Test func firstInFirstOutWithWaitingAndBufferedTakers() async {
        let q = DeliveryQueue<Int>()
        #expect(q.push(1))
        #expect(q.push(2))
        #expect(await q.take() == 1)
        let waiting = Task { await q.take() }
        #expect(await q.take() == 2)
        try? await Task.sleep(for: .milliseconds(10))
        q.push(3)
        #expect(await waiting.value == 3)
        #expect(q.count == 0)
    }

    @Test func severalConcurrentTakersEachGetDistinctElements() async {
        let q = DeliveryQueue<Int>()
        let n = 2000
        let takers = (0..<8).map { _ in
            Task { () -> [Int] in
                var got: [Int] = []
                while let v = await q.take() { got.append(v) }
                return got
            }
        }
        for i in 0..<n { q.push(i) }
        while q.count > 0 { try? await Task.sleep(for: .milliseconds(5)) }
        _ = q.close()
        var all: [Int] = []
        for t in takers { all += await t.value }
        #expect(all.count == n)
        #expect(Set(all).count == n)
    }

    @Test func capacityCountsHeldElementsUntilSettled() async {
        let q = DeliveryQueue<Int>(capacity: 3)
        #expect(q.freeSlots == 3)
        q.push(1)
        q.push(2)
        #expect(q.freeSlots == 1)
        _ = await q.take()
        #expect(q.freeSlots == 1, "a taken element stays held until it is settled")
        q.settle()
        #expect(q.freeSlots == 2)
        q.adjustCapacity(by: 2)
        #expect(q.freeSlots == 4)
        q.adjustCapacity(by: -10)
        #expect(q.freeSlots == 0)
        #expect(q.held == 1)
    }

    @Test func aFetcherWaitingForRoomWakesOnSettle() async {
        let q = DeliveryQueue<Int>(capacity: 1)
        q.push(1)
        let fetcher = Task { await q.waitForFreeSlots() }
        try? await Task.sleep(for: .milliseconds(10))
        q.settle()
        #expect(await fetcher.value == 1)
        #expect(await q.waitForFreeSlots() == 1)
    }

    @Test func aCancelledTakerReturnsNilAndLosesNothing() async {
        let q = DeliveryQueue<Int>()
        let t = Task { await q.take() }
        try? await Task.sleep(for: .milliseconds(10))
        t.cancel()
        #expect(await t.value == nil)
        q.push(5)
        #expect(await q.take() == 5, "the element went to a live taker, not the cancelled one")
    }

    @Test func takeWithinTimesOutOrDelivers() async {
        let q = DeliveryQueue<Int>()
        #expect(await q.take(within: .milliseconds(10)) == nil)
        Task { try? await Task.sleep(for: .milliseconds(10)); q.push(9) }
        #expect(await q.take(within: .seconds(5)) == 9)
        q.push(4)
        #expect(await q.take(within: .zero) == 4)
    }

    @Test func stopEndsWaitingTakersAndFetchers() async {
        let q = DeliveryQueue<Int>(capacity: 1)
        q.push(0)
        let waiting = Task { await q.take(within: .seconds(30)) }
        #expect(await waiting.value == 0)
        let taker = Task { await q.take() }
        let fetcher = Task { await q.waitForFreeSlots() }
        try? await Task.sleep(for: .milliseconds(10))
        q.stop()
        #expect(await taker.value == nil)
        #expect(await fetcher.value == 0)
    }

    @Test func stopKeepsTheBufferForClose() async {
        let q = DeliveryQueue<Int>(capacity: 10)
        q.push(1)
        q.push(2)
        #expect(await q.take() == 1)
        q.stop()
        #expect(q.freeSlots == 0)
        #expect(!q.push(3), "a stopped queue refuses pushes; the caller keeps the element")
        #expect(await q.take() == nil, "stopped: buffered elements are not handed out")
        #expect(q.count == 1)
        #expect(q.close() == [2])
        #expect(q.held == 1, "the taken element is still held until settled")
        q.settle()
        #expect(q.held == 0)
    }

    @Test func closeHandsBackWhatWasNeverTaken() async {
        let q = DeliveryQueue<String>()
        q.push("a")
        q.push("b")
        let waiters = DeliveryQueue<String>()
        let t = Task { await waiters.take() }
        try? await Task.sleep(for: .milliseconds(10))
        #expect(waiters.close() == [])
        #expect(await t.value == nil)
        #expect(q.snapshot == ["a", "b"])
        #expect(q.close() == ["a", "b"])
        #expect(q.isStopped)
        #expect(await q.take() == nil)
    }
}
