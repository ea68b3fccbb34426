import Celery
import CeleryCommands

/// The measured outcome of one demo scenario in one delivery mode.
public struct ScenarioResult: Sendable, Codable {
    /// Scenario name: fanout, offline, crash, balance, latency, restart.
    public var name: String
    /// `broadcast` or `queue`.
    public var mode: String
    /// A variant of the scenario (e.g. `prefetch 1`), if any.
    public var variant: String?
    /// Consumers (or subscribers) taking part.
    public var consumers: Int
    /// Messages published.
    public var sent: Int
    /// Messages each consumer processed.
    public var receivedPerConsumer: [Int]
    /// Sum of `receivedPerConsumer`.
    public var receivedTotal: Int
    /// Messages that were supposed to be processed and never were.
    public var lost: Int?
    /// Messages processed more than once by the same consumer set.
    public var duplicates: Int?
    /// Deliveries marked redelivered.
    public var redelivered: Int?
    /// Publish → receive latency, median, milliseconds.
    public var p50Ms: Double?
    /// Publish → receive latency, 99th percentile, milliseconds.
    public var p99Ms: Double?
    /// Messages processed per second.
    public var throughputPerS: Double?
    /// Seconds the scenario's consuming phase took.
    public var elapsedS: Double?
    /// A one-line note on what happened.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case name, mode, variant, consumers, sent, lost, duplicates, redelivered, note
        case receivedPerConsumer = "received_per_consumer"
        case receivedTotal = "received_total"
        case p50Ms = "p50_ms"
        case p99Ms = "p99_ms"
        case throughputPerS = "throughput_per_s"
        case elapsedS = "elapsed_s"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(mode, forKey: .mode)
        try c.encode(variant, forKey: .variant)
        try c.encode(consumers, forKey: .consumers)
        try c.encode(sent, forKey: .sent)
        try c.encode(receivedPerConsumer, forKey: .receivedPerConsumer)
        try c.encode(receivedTotal, forKey: .receivedTotal)
        try c.encode(lost, forKey: .lost)
        try c.encode(duplicates, forKey: .duplicates)
        try c.encode(redelivered, forKey: .redelivered)
        try c.encode(p50Ms, forKey: .p50Ms)
        try c.encode(p99Ms, forKey: .p99Ms)
        try c.encode(throughputPerS, forKey: .throughputPerS)
        try c.encode(elapsedS, forKey: .elapsedS)
        try c.encode(note, forKey: .note)
    }

    init(name: String, mode: Route, variant: String? = nil, consumers: Int, sent: Int, received: [Int]) {
        self.name = name
        self.mode = mode.isBroadcast ? "broadcast" : "queue"
        self.variant = variant
        self.consumers = consumers
        self.sent = sent
        self.receivedPerConsumer = received
        self.receivedTotal = received.reduce(0, +)
    }
}

/// The whole demo run.
public struct DemoReport: Sendable, Codable {
    /// The broker URL (password masked).
    public var transport: String
    /// Results, two (or more) per scenario.
    public var scenarios: [ScenarioResult]
    /// Plain-language conclusions drawn from the numbers, one per scenario.
    public var conclusions: [String: String]
}
