import Celery
import CeleryAllTransports
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs the comparison scenarios: each one with the same workload in broadcast mode and in
/// queue mode, on the same transport.
public struct DemoRunner: Sendable {
    /// Broker URL (`memory://` by default).
    public var brokerURL: String
    /// Consumers per scenario.
    public var consumers: Int
    /// Messages per scenario.
    public var messages: Int
    /// Progress lines go here (standard error by default); `nil` = quiet.
    public var progress: (@Sendable (String) -> Void)?
    /// How a consumer is killed in the crash scenario on server transports: `nil` = its
    /// connection is closed abruptly in-process.
    public var crashChild: (@Sendable (String, String, Int) async throws -> Int)?

    /// Visibility timeout the demo uses on Redis unless the URL sets one, so a killed
    /// consumer's messages come back within the run (the production default is 3600 s).
    public static let demoVisibilityTimeout = 5

    public init(brokerURL: String, consumers: Int, messages: Int, progress: (@Sendable (String) -> Void)? = nil) {
        var url = brokerURL
        if url.lowercased().hasPrefix("redis"), (try? ConnectionURL(url))?.queryValue("visibility_timeout") == nil {
            url += (url.contains("?") ? "&" : "?") + "visibility_timeout=\(Self.demoVisibilityTimeout)"
        }
        self.brokerURL = url
        self.consumers = max(1, consumers)
        self.messages = max(1, messages)
        self.progress = progress
    }

    /// Shell command that restarts the broker (restart scenario); `nil` = skip that scenario.
    public var restartCommand: String?

    /// Kill a separate consumer process in the crash scenario (server transports). Default true.
    public var useChildProcess = true

    let runId = String(UUID().uuidString.prefix(8)).lowercased()

    /// How long a killed consumer's messages take to come back: immediately on AMQP and
    /// memory; after the visibility timeout on Redis.
    var restoreDelay: Duration {
        guard brokerURL.lowercased().hasPrefix("redis") else { return .zero }
        let v = (try? ConnectionURL(brokerURL))?.queryValue("visibility_timeout").flatMap(Double.init) ?? 3600
        return .seconds(double: v + 1)
    }
    var isMemory: Bool { brokerURL.lowercased().hasPrefix("memory://") }

    /// A broker connection. On `memory://` all connections share one instance (one process);
    /// on servers each consumer gets its own connection, so a "crash" drops only its own.
    func connect() async throws -> any Broker {
        if isMemory { return InMemoryConnection(InMemoryBroker.named("demo-\(runId)")) }
        return try await TransportRegistry.broker(url: brokerURL)
    }

    func route(_ scenario: String, _ broadcast: Bool) -> Route {
        // Distinct names per mode: on AMQP a queue's direct exchange and a broadcast's fanout
        // exchange cannot share a name.
        let name = "demo.\(runId).\(scenario)"
        return broadcast ? .broadcast(name + ".bcast") : .queue(name + ".queue")
    }

    func say(_ s: String) { progress?(s) }

    /// Runs the named scenarios (`all` = every one that applies to the transport).
    public func run(_ names: [String]) async throws -> DemoReport {
        AllTransports.register()
        let all = ["fanout", "offline", "crash", "balance", "latency", "restart"]
        let selected = names.contains("all") ? all : names
        var results: [ScenarioResult] = []
        var conclusions: [String: String] = [:]
        for name in selected {
            say("== \(name)")
            let rs: [ScenarioResult]
            switch name {
            case "fanout": rs = try await fanout()
            case "offline": rs = try await offline()
            case "crash": rs = try await crash()
            case "balance": rs = try await balance()
            case "latency": rs = try await latency()
            case "restart": rs = try await restart()
            default: throw CeleryError(.invalidState, "unknown scenario '\(name)' (use one of: all, \(all.joined(separator: ", ")))")
            }
            results += rs
            if let c = Conclusions.conclude(name, rs) { conclusions[name] = c }
        }
        let display = (try? ConnectionURL(brokerURL).masked) ?? brokerURL
        return DemoReport(transport: display, scenarios: results, conclusions: conclusions)
    }

    /// Consumers for a route, each on its own connection (servers) or subscription (memory).
    func makeConsumers(_ route: Route, count: Int, prefetch: Int, processing: [Duration?]? = nil) async throws
        -> ([DemoConsumer], [any Broker])
    {
        var cs: [DemoConsumer] = []
        var brokers: [any Broker] = []
        for i in 0..<count {
            let b = try await connect()
            brokers.append(b)
            let c = try await b.consume(route, options: ConsumeOptions(prefetch: prefetch, consumerTag: "demo-\(i)"))
            cs.append(DemoConsumer(c, processing: processing?[i]))
        }
        if route.isBroadcast { try await Task.sleep(for: .milliseconds(150)) }  // subscriptions settle
        return (cs, brokers)
    }

    func closeAll(_ cs: [DemoConsumer], _ brokers: [any Broker]) async {
        for c in cs { await c.consumer.cancel() }
        for b in brokers { try? await b.close() }
    }

    func publish(_ count: Int, to route: Route, on broker: any Broker, from: Int = 0) async throws -> Int {
        var receivers = 0
        for i in from..<(from + count) {
            let r = try await broker.publish(try DemoMessage.make(i), to: route)
            receivers += r.receivers ?? 0
            if count >= 10, (i - from + 1) % max(1, count / 4) == 0 { say("   published \(i - from + 1)/\(count) (\(route))") }
        }
        return receivers
    }

    /// Makes sure a queue exists (so messages published before any consumer are kept).
    func declare(_ route: Route) async throws {
        guard !route.isBroadcast else { return }
        let b = try await connect()
        let c = try await b.consume(route, options: ConsumeOptions(prefetch: 1))
        await c.cancel()
        try? await b.close()
    }
}
