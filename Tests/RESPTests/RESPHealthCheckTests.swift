import Testing

@testable import RESP

/// The health-check schedule, tick by tick.
@Suite struct RESPHealthCheckTests {
    @Test func anIdleConnectionGetsAPingAndFailsWhenItStaysUnanswered() {
        var h = RESPHealthCheck(interval: .seconds(1))
        #expect(h.tick(oldestInFlight: nil) == .ping)
        h.pinged(seq: 7)
        #expect(h.tick(oldestInFlight: (7, false)) == .nothing)
        // Nothing read for a whole interval, the PING still the oldest: gone.
        #expect(h.tick(oldestInFlight: (7, false)) == .fail)
    }

    @Test func aReadBetweenTicksKeepsTheConnection() {
        var h = RESPHealthCheck(interval: .seconds(1))
        #expect(h.tick(oldestInFlight: nil) == .ping)
        h.pinged(seq: 1)
        h.read()
        #expect(h.tick(oldestInFlight: nil) == .nothing)
        #expect(h.tick(oldestInFlight: nil) == .ping)
    }

    @Test func aCommandWaitingAWholeIntervalWithNothingReadFails() {
        var h = RESPHealthCheck(interval: .seconds(1))
        h.read()
        // Sent just before this tick: it has not waited yet.
        #expect(h.tick(oldestInFlight: (3, false)) == .nothing)
        // Silent for less than an interval: maybe a slow reply.
        #expect(h.tick(oldestInFlight: (3, false)) == .nothing)
        #expect(h.tick(oldestInFlight: (3, false)) == .nothing)
        // Three silent ticks in a row with the same command owed: gone.
        #expect(h.tick(oldestInFlight: (3, false)) == .fail)
    }

    @Test func progressOnAnotherCommandKeepsTheConnection() {
        var h = RESPHealthCheck(interval: .seconds(1))
        #expect(h.tick(oldestInFlight: (3, false)) == .nothing)
        h.read()
        #expect(h.tick(oldestInFlight: (4, false)) == .nothing)
        #expect(h.tick(oldestInFlight: (5, false)) == .nothing)
    }

    @Test func blockingCommandsAreLeftToTheirDeadlines() {
        var h = RESPHealthCheck(interval: .seconds(1))
        #expect(h.tick(oldestInFlight: (3, true)) == .nothing)
        #expect(h.tick(oldestInFlight: (3, true)) == .nothing)
        #expect(RESPHealthCheck.blockingVerbs.contains("BLMOVE"))
    }
}
