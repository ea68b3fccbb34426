import Testing

@testable import AMQP091

/// The pure ack window: which `basic.ack` frames one tick's acks become.
@Suite("AMQP ack window")
struct AMQPAckWindowTests {
    private func frames(_ w: inout AMQPAckWindow) -> [String] {
        w.flush().map { "\($0.tag)\($0.multiple ? "m" : "")" }
    }

    @Test func aRunFromTheOldestBecomesOneMultipleAck() {
        var w = AMQPAckWindow()
        for t in 1...5 { w.delivered(UInt64(t), manual: true) }
        for t in [3, 1, 2] { w.ack(UInt64(t)) }
        #expect(frames(&w) == ["3m"])
        #expect(w.outstandingCount == 2)
        w.ack(4)
        #expect(frames(&w) == ["4"])  // a run of one is a plain ack
        w.ack(5)
        #expect(frames(&w) == ["5"])
        #expect(w.outstandingCount == 0)
        #expect(frames(&w) == [])
    }

    @Test func acksBehindAHeldDeliveryGoOneByOne() {
        var w = AMQPAckWindow()
        for t in 1...6 { w.delivered(UInt64(t), manual: true) }
        for t in [2, 1, 4, 6] { w.ack(UInt64(t)) }
        // 3 is still held: 1–2 as one multiple ack, then 4 and 6 alone (never a multiple past 3).
        #expect(frames(&w) == ["2m", "4", "6"])
        w.ack(3)
        w.ack(5)
        #expect(frames(&w) == ["5m"])
        #expect(w.outstandingCount == 0)
    }

    @Test func noAckDeliveriesAndOtherSettlementsAreSkipped() {
        var w = AMQPAckWindow()
        w.delivered(1, manual: true)
        w.delivered(2, manual: false)  // no-ack: never outstanding
        w.delivered(3, manual: true)
        w.delivered(4, manual: true)
        w.settled(3, multiple: false)  // rejected or nacked on its own
        w.ack(1)
        w.ack(4)
        // 2 and 3 are not outstanding on the server, so one multiple ack up to 4 is exact.
        #expect(frames(&w) == ["4m"])
        #expect(w.outstandingCount == 0)
    }

    @Test func unknownTagsAreSentAsTheyAre() {
        var w = AMQPAckWindow()
        w.delivered(1, manual: true)
        w.ack(9)  // never delivered on this channel: the server decides (it closes the channel)
        w.ack(1)
        #expect(frames(&w) == ["9", "1"])
        var fresh = AMQPAckWindow()
        fresh.ack(1)
        fresh.ack(1)
        #expect(frames(&fresh) == ["1", "1"])
    }

    @Test func aMultipleSettlementClearsEverythingBelow() {
        var w = AMQPAckWindow()
        for t in 1...4 { w.delivered(UInt64(t), manual: true) }
        w.settled(3, multiple: true)
        #expect(w.outstandingCount == 1)
        w.ack(4)
        #expect(frames(&w) == ["4"])
        w.reset()
        #expect(w.outstandingCount == 0)
    }
}
