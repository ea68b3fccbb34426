import ArgumentParser
import Celery
import CeleryAllTransports
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// `celery-bench`: throughput, latency and cost of running tasks, measured from Celery events.
///
/// The producer sends N `tasks.add` (or `tasks.echo` with a payload) and records the send time
/// of each id; the worker's `task-started` and `task-succeeded` events give the start and end
/// times. The same method measures our worker (in-process or `--external`) and, with
/// `Benchmarks/pybench.py`, a Python Celery worker.
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "celery-bench", abstract: "Benchmark end-to-end task throughput and latency.")

    @Option(help: "Broker URL (env CELERY_BROKER_URL).") var broker: String?
    @Option(name: .customLong("result-backend"), help: "Result backend URL; none = results not stored.") var resultBackend: String?
    @Option(help: "Tasks to send.") var tasks: Int = 10_000
    @Option(help: "Worker concurrency (in-process worker).") var concurrency: Int = 4
    @Option(help: "Concurrent producers.") var producers: Int = 1
    @Option(help: "Send at most this many tasks per second over all producers (0 = as fast as possible); an unsaturated rate measures latency without queueing.") var rate: Double = 0
    @Option(help: "Payload bytes per task (0 = tasks.add, else tasks.echo with a string of this size).") var payload: Int = 0
    @Option(help: "queue or broadcast.") var mode: String = "queue"
    @Option(help: "Queue or channel name (default: a fresh one).") var queue: String?
    @Flag(help: "Measure an external worker (celery-worker) instead of starting one in this process.") var external = false
    @Option(name: .customLong("worker-pid"), help: "PID of the external worker, for its RSS and CPU time.") var workerPid: Int32?
    @Option(name: .customLong("spawn-worker"), help: "Pre-fill: send every task first, then run this shell command (a worker on the same queue) and measure how fast it drains the queue. Implies --external.") var spawnWorker: String?
    @Option(help: "Seconds to wait for all tasks to finish.") var timeout: Double = 300
    @Flag(help: "Print one JSON document.") var json = false
    @Flag(name: .customLong("broker-ceiling"), help: "Measure the broker alone instead: --tasks persistent task-sized messages (--payload as for tasks) published in pipelined batches (confirmed on RabbitMQ), then delivered and acknowledged; no tasks run, no events.") var brokerCeiling = false
    @Flag(name: .customLong("nio-executor"), help: "Run Swift concurrency on the NIO event loops in this process (as celery-worker --nio-executor); read at start-up.") var nioExecutor = false

    public init() {}

    public func validate() throws {
        guard tasks >= 1 else { throw ValidationError("--tasks must be at least 1") }
        guard concurrency >= 1, producers >= 1 else { throw ValidationError("--concurrency and --producers must be at least 1") }
        guard ["queue", "broadcast"].contains(mode) else { throw ValidationError("--mode is queue or broadcast") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be a number of tasks per second, 0 for no limit") }
        if brokerCeiling, mode != "queue" || spawnWorker != nil || external || rate > 0 || producers > 1 {
            throw ValidationError(
                "--broker-ceiling measures queue mode alone, as fast as it goes: no --mode broadcast, --external, --spawn-worker, --rate or --producers")
        }
    }

    public func run() async throws {
        CommandSupport.bootstrapLogging(.error)
        let url = broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] ?? "memory://bench"
        AllTransports.register()
        let app = try await CommandSupport.connect(
            name: "bench", broker: url, backend: resultBackend, logger: Logger(label: "celery.bench"), timeout: .seconds(10))
        let name = queue ?? "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let route: Route = mode == "broadcast" ? .broadcast(name) : .queue(name)
        if brokerCeiling {
            let out = try await BenchCeiling.run(broker: app.broker, messages: tasks, queue: name, payload: payload)
            try? await app.close()
            if json {
                print(JSONValue.object(out).description)
            } else {
                for k in out.keys.sorted() { print("\(k.padding(22)) \(out[k]!.stringValue ?? out[k]!.description)") }
            }
            return
        }
        let events = try await app.broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions(prefetch: 1024))
        var worker: Worker?
        var workerTask: Task<Void, any Error>?
        let external = self.external || spawnWorker != nil
        if !external {
            BenchTasks.register(on: app)
            let w = Worker(app: app, options: WorkerOptions(
                concurrency: concurrency, prefetchMultiplier: 4, queues: route.isBroadcast ? [] : [name],
                broadcasts: route.isBroadcast ? [name] : [], hostname: "bench@\(ProcessInfo.processInfo.hostName)"))
            worker = w
            workerTask = Task { try await w.run() }
            await w.waitUntilStarted()
        }
        if route.isBroadcast { try await Task.sleep(for: .milliseconds(300)) }
        let rssIdle = ProcessStats.current(pid: external ? workerPid : nil)
        let recorder = BenchRecorder(expected: tasks)
        let collector = Task { await recorder.collect(from: events) }
        let body: JSONValue = payload > 0 ? .string(String(repeating: "x", count: payload)) : .null
        let start = Date()
        let (tasks, producers, payload) = (self.tasks, self.producers, self.payload)
        // Paced sending: the k-th task (over all producers) is due at start + k / rate.
        let interval: Duration? = rate > 0 ? .seconds(double: 1 / rate) : nil
        let clock = ContinuousClock()
        let t0 = clock.now
        try await withThrowingTaskGroup(of: Void.self) { g in
            for p in 0..<producers {
                g.addTask {
                    var i = p
                    while i < tasks {
                        if let interval { try await clock.sleep(until: t0 + interval * i) }
                        let id = UUID().uuidString.lowercased()
                        recorder.sent(id)
                        if payload > 0 {
                            try await app.send(task: "tasks.echo", args: [body], options: CallOptions(taskId: id, route: route))
                        } else {
                            try await app.send(task: "tasks.add", args: [.int(Int64(i)), .int(Int64(i))], options: CallOptions(taskId: id, route: route))
                        }
                        i += producers
                    }
                }
            }
            try await g.waitForAll()
        }
        let enqueueSeconds = Date().timeIntervalSince(start)
        var workerPid = self.workerPid
        var spawned: ChildProcess?
        if let spawnWorker {
            do {
                // A worker that exits (bad command, bad URL) ends the wait instead of the timeout.
                let p = try ChildProcess.shell("exec " + spawnWorker, onExit: { _ in recorder.abort() })
                spawned = p
                workerPid = p.pid
            } catch {
                throw ValidationError("cannot start --spawn-worker command: \(error)")
            }
        }
        let finished = await recorder.waitDone(timeout: timeout)
        let report = recorder.report(start: start, enqueueSeconds: enqueueSeconds, finished: finished)
        let after = ProcessStats.current(pid: external ? workerPid : nil)
        if let spawned, let status = spawned.terminationStatus, !finished {
            writeStandardError("celery-bench: the spawned worker exited (status \(status)) before every task finished\n")
        }
        if let spawned {
            spawned.send(SIGTERM)
            try? await Task.sleep(for: .seconds(1))
        }
        collector.cancel()
        await events.cancel()
        worker?.shutdown()
        try? await workerTask?.value
        var out = report
        out["transport"] = .string(app.broker.displayURL)
        out["backend"] = .string(app.backend?.displayURL ?? "none")
        out["mode"] = .string(mode)
        out["concurrency"] = .int(Int64(concurrency))
        out["producers"] = .int(Int64(producers))
        out["payload_bytes"] = .int(Int64(payload))
        out["rate_limit_per_s"] = .double(rate)
        out["worker"] = .string(external ? "external" : "in-process")
        out["prefilled"] = .bool(spawnWorker != nil)
        out["nio_executor_in_process"] = .bool(nioExecutor)
        if spawnWorker != nil, let after {
            out["rss_peak_mb"] = .double((after.peakKB / 1024 * 10).rounded() / 10)
            out["rss_end_mb"] = .double((after.rssKB / 1024 * 10).rounded() / 10)
            out["cpu_s_per_1000"] = .double((after.cpuSeconds / Double(max(1, report["completed"]?.intValue ?? 1)) * 1000 * 1000).rounded() / 1000)
        } else if let rssIdle, let after {
            out["rss_idle_mb"] = .double((rssIdle.rssKB / 1024 * 10).rounded() / 10)
            out["rss_peak_mb"] = .double((after.peakKB / 1024 * 10).rounded() / 10)
            out["rss_end_mb"] = .double((after.rssKB / 1024 * 10).rounded() / 10)
            let cpu = after.cpuSeconds - rssIdle.cpuSeconds
            out["cpu_s_per_1000"] = .double((cpu / Double(max(1, report["completed"]?.intValue ?? 1)) * 1000 * 1000).rounded() / 1000)
        }
        try? await app.close()
        if json {
            print(JSONValue.object(out).description)
        } else {
            for k in out.keys.sorted() { print("\(k.padding(22)) \(out[k]!.stringValue ?? out[k]!.description)") }
        }
        if !finished { throw ExitCode(2) }
    }
}

/// The bench's own copies of the example tasks (so `celery-bench` needs no Examples target).
enum BenchTasks {
    static func register(on app: Celery) {
        app.task("tasks.add") { (_: TaskContext, x: Int64, y: Int64) in x &+ y }
        app.task("tasks.echo") { (_: TaskContext, v: JSONValue) in v }
    }
}

/// RSS and CPU time of a process (this one by default), from /proc.
struct ProcessStats {
    var rssKB: Double
    var peakKB: Double
    var cpuSeconds: Double

    static func current(pid: Int32? = nil) -> ProcessStats? {
        let base = pid.map { "/proc/\($0)" } ?? "/proc/self"
        guard let status = try? String(contentsOfFile: base + "/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: base + "/stat", encoding: .utf8)
        else { return nil }
        func kb(_ key: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let utime = fields.count > 12 ? Double(fields[11]) ?? 0 : 0
        let stime = fields.count > 13 ? Double(fields[12]) ?? 0 : 0
        return ProcessStats(rssKB: kb("VmRSS:"), peakKB: kb("VmHWM:"), cpuSeconds: (utime + stime) / ticks)
    }
}
