import ArgumentParser
import Celery
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `celery-demo`: the same workloads in broadcast and queue mode, measured.
public struct DemoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "celery-demo",
        abstract: "Compare broadcast (pub/sub) and queue (competing consumers) delivery with measured numbers.",
        discussion: "Scenarios: fanout, offline, crash, balance, latency, restart (server transports), or all.")

    @Argument(help: "Scenarios to run: all, fanout, offline, crash, balance, latency, restart.")
    public var scenarios: [String] = ["all"]

    @Option(name: .long, help: "Broker URL (env CELERY_BROKER_URL).")
    public var broker: String?

    @Option(name: .long, help: "Consumers per scenario.")
    public var consumers: Int = 3

    @Option(name: .long, help: "Messages per scenario.")
    public var messages: Int = 200

    @Flag(name: .long, help: "Print one JSON document instead of tables.")
    public var json = false

    @Option(name: .long, help: "Also write a self-contained HTML report with SVG charts.")
    public var report: String?

    @Option(name: .customLong("restart-command"), help: "Shell command that restarts the broker, for the restart scenario (e.g. 'systemctl restart redis').")
    public var restartCommand: String?

    @Option(name: .customLong("child-consume"), help: .hidden) var childConsume: String?
    @Option(name: .customLong("child-prefetch"), help: .hidden) var childPrefetch: Int = 10
    @Option(name: .customLong("child-limit"), help: .hidden) var childLimit: Int = 3
    @Option(name: .customLong("child-processing-ms"), help: .hidden) var childProcessingMs: Int = 20

    public init() {}

    static let known: Set<String> = ["all", "fanout", "offline", "crash", "balance", "latency", "restart"]

    public func validate() throws {
        for s in scenarios where !Self.known.contains(s) {
            throw ValidationError("unknown scenario '\(s)' (use: \(Self.known.sorted().joined(separator: ", ")))")
        }
        guard consumers >= 1, consumers <= 64 else { throw ValidationError("--consumers must be 1…64") }
        guard messages >= 1, messages <= 1_000_000 else { throw ValidationError("--messages must be 1…1000000") }
        if let b = broker {
            do { _ = try ConnectionURL(b) } catch let e as CeleryError { throw ValidationError("--broker: \(e.message)") }
        }
    }

    public func run() async throws {
        CommandSupport.bootstrapLogging(.warning)
        let url = broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "memory://"
        if let spec = childConsume {
            try await DemoChild.run(broker: url, route: spec, prefetch: childPrefetch, limit: childLimit, processingMs: childProcessingMs)
            return
        }
        var runner = DemoRunner(
            brokerURL: url, consumers: consumers, messages: messages,
            progress: { line in writeStandardError((line + "\n")) })
        runner.restartCommand = restartCommand
        let result: DemoReport
        do { result = try await runner.run(scenarios) } catch {
            writeStandardError("celery-demo: \(error)\n")
            throw ExitCode(1)
        }
        if json { print(try ReportRendering.json(result)) } else { print(ReportRendering.table(result)) }
        if let path = report {
            try ReportRendering.html(result).write(toFile: path, atomically: true, encoding: .utf8)
            writeStandardError("wrote \(path)\n")
        }
    }
}
