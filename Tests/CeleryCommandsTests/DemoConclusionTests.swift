import Celery
import Testing

@testable import CeleryBench
@testable import CeleryCommands

/// The demo's conclusions follow the numbers they are given.
@Suite struct DemoConclusionTests {
    func latency(_ mode: String, p50: Double, p99: Double = 1, rate: Double = 1000) -> ScenarioResult {
        var r = ScenarioResult(name: "latency", mode: mode == "queue" ? .queue("q") : .broadcast("b"), consumers: 1, sent: 10, received: [10])
        r.p50Ms = p50
        r.p99Ms = p99
        r.throughputPerS = rate
        return r
    }

    @Test func aSlowerQueueIsSaidToPayForAcknowledgements() throws {
        let text = try #require(Conclusions.conclude("latency", [latency("broadcast", p50: 0.02), latency("queue", p50: 0.05)]))
        #expect(text.contains("the queue took 2.500× as long"))
        #expect(text.contains("pays for acknowledgements"))
    }

    @Test func aFasterQueueIsNotSaidToPayForAcknowledgements() throws {
        // The run the issue quotes: queue p50 2.86 ms, broadcast 5.47 ms.
        let text = try #require(Conclusions.conclude("latency", [latency("broadcast", p50: 5.47), latency("queue", p50: 2.86)]))
        #expect(!text.contains("pays for acknowledgements"))
        #expect(text.contains("the queue handed messages over faster"))
        #expect(text.contains("1.913×"))
        #expect(text.contains("p50 2.860 ms"))
    }

    @Test func closeMediansAreCalledAlike() throws {
        let text = try #require(Conclusions.conclude("latency", [latency("broadcast", p50: 0.030), latency("queue", p50: 0.032)]))
        #expect(text.contains("about the same"))
        #expect(!text.contains("pays for acknowledgements"))
    }

    @Test func missingMediansGiveNoVerdict() throws {
        var q = latency("queue", p50: 1)
        q.p50Ms = nil
        let text = try #require(Conclusions.conclude("latency", [latency("broadcast", p50: 1), q]))
        #expect(!text.contains("faster") && !text.contains("pays") && !text.contains("same"))
    }
}
