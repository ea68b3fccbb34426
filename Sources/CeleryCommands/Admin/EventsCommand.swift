import ArgumentParser
import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The cluster as seen through events: workers, task states, running tasks.
struct EventState {
    struct WorkerInfo { var lastSeen: Double; var freq: Double; var offline: Bool; var active: Int; var processed: Int }
    struct TaskInfo { var name: String; var state: String; var received: Double?; var started: Double?; var runtime: Double? }

    var workers: [String: WorkerInfo] = [:]
    var tasks: [String: TaskInfo] = [:]
    var order: [String] = []
    var counts: [String: Int] = [:]
    let maxTasks = 1000

    mutating func apply(_ e: [String: JSONValue]) {
        guard let type = e["type"]?.stringValue else { return }
        let host = e["hostname"]?.stringValue ?? "?"
        let ts = e["timestamp"]?.doubleValue ?? Date().timeIntervalSince1970
        if type.hasPrefix("worker-") {
            var w = workers[host] ?? WorkerInfo(lastSeen: ts, freq: 2, offline: false, active: 0, processed: 0)
            w.lastSeen = ts
            w.freq = e["freq"]?.doubleValue ?? w.freq
            w.active = e["active"]?.intValue.map(Int.init) ?? w.active
            w.processed = e["processed"]?.intValue.map(Int.init) ?? w.processed
            w.offline = type == "worker-offline"
            workers[host] = w
            return
        }
        guard type.hasPrefix("task-"), let id = e["uuid"]?.stringValue else { return }
        let state = String(type.dropFirst(5)).uppercased()
        var t = tasks[id] ?? TaskInfo(name: "", state: state, received: nil, started: nil, runtime: nil)
        if tasks[id] == nil {
            order.append(id)
            if order.count > maxTasks { tasks[order.removeFirst()] = nil }
        } else {
            counts[t.state, default: 1] -= 1
        }
        if let n = e["name"]?.stringValue { t.name = n }
        t.state = state
        if type == "task-received" { t.received = ts }
        if type == "task-started" { t.started = ts }
        if let r = e["runtime"]?.doubleValue { t.runtime = r }
        tasks[id] = t
        counts[state, default: 0] += 1
    }

    /// Marks workers offline after two missed heartbeats.
    mutating func expire(now: Double) {
        for (h, w) in workers where !w.offline && now - w.lastSeen > 2 * w.freq { workers[h]!.offline = true }
    }

    func render(now: Double) -> String {
        var s = "Workers\n"
        s += TextTable.render(
            ["worker", "status", "active", "processed", "last seen"],
            workers.keys.sorted().map { h in
                let w = workers[h]!
                return [h, w.offline ? "OFFLINE" : "online", String(w.active), String(w.processed), Format.fixed(now - w.lastSeen, places: 1) + "s ago"]
            })
        s += "\nTask states (since the view started)\n"
        s += TextTable.render(["state", "count"], counts.keys.sorted().filter { counts[$0]! > 0 }.map { [$0, String(counts[$0]!)] })
        let running = order.compactMap { id in tasks[id].map { (id, $0) } }.filter { $0.1.state == "STARTED" }
        s += "\nRunning (\(running.count))\n"
        s += TextTable.render(["id", "name", "running for"], running.suffix(15).map { [$0.0, $0.1.name, Format.fixed(now - ($0.1.started ?? now), places: 2) + "s"] })
        let done = order.compactMap { id in tasks[id].map { (id, $0) } }.filter { $0.1.runtime != nil }.suffix(10)
        s += "\nRecently finished\n"
        s += TextTable.render(["id", "name", "state", "runtime"], done.map { [$0.0, $0.1.name, $0.1.state, Format.fixed($0.1.runtime!, places: 4) + "s"] })
        return s
    }
}

/// `celery-admin events`: a live view of the cluster, or a JSON stream of events.
public struct EventsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "events", abstract: "Watch task and worker events (broadcast on celeryev): live view or --json stream.")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Stop after this many seconds (default: until interrupted).") var duration: Double?
    @Option(help: "Seconds between screen refreshes.") var refresh: Double = 1
    public init() {}

    public func run() async throws {
        try await adminRun {
            let app = try await admin.connect()
            let consumer = try await app.broker.consume(.broadcast(EventDispatcher.channel), options: ConsumeOptions())
            let stopped = Mutex(false)
            let started = Date()
            let watcher = SignalWatcher { _ in stopped.withLock { $0 = true } }
            defer { withExtendedLifetime(watcher) {} }
            var state = EventState()
            var lastDraw = 0.0
            let tty = isatty(1) == 1
            while !stopped.withLock({ $0 }) {
                if let duration, Date().timeIntervalSince(started) >= duration { break }
                let d = try await consumer.next(within: .seconds(double: min(refresh, 0.5)))
                let now = Date().timeIntervalSince1970
                // One event, or a batch (`task.multi`): each is printed and applied on its own.
                for e in d.map({ EventDispatcher.events(in: $0.message) }) ?? [] {
                    if admin.json { print(JSONValue.object(e).description) }
                    state.apply(e)
                }
                if admin.json, d != nil { fflush(nil) }
                state.expire(now: now)
                if !admin.json, now - lastDraw >= refresh {
                    print((tty ? "\u{1B}[2J\u{1B}[H" : "") + state.render(now: now))
                    lastDraw = now
                }
            }
            await consumer.cancel()
            if !admin.json { print(state.render(now: Date().timeIntervalSince1970)) }
            try? await app.close()
        }
    }
}
