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

/// `celery-admin inspect WHAT`: ask workers about themselves.
public struct InspectCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Ask workers: ping, active, reserved, scheduled, registered, stats, revoked, active_queues.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "ping, active, reserved, scheduled, registered, stats, revoked or active_queues.") var what: String
    @Option(name: [.customShort("d"), .long], help: "Only these workers (comma-separated host names).") var destination: String?
    @Option(help: "Seconds to collect replies.") var timeout: Double = 1
    public init() {}

    static let methods: Set<String> = ["ping", "active", "reserved", "scheduled", "registered", "stats", "revoked", "active_queues"]

    public func validate() throws {
        guard Self.methods.contains(what) else { throw ValidationError("unknown inspect command '\(what)' (use: \(Self.methods.sorted().joined(separator: ", ")))") }
    }

    public func run() async throws {
        try await adminRun {
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            let replies = try await app.controlClient.call(
                what, destination: destination.map { $0.split(separator: ",").map(String.init) }, timeout: .seconds(double: timeout))
            if replies.isEmpty && !admin.json { throw AdminFailure("no worker replied within \(timeout)s") }
            var text = ""
            for host in replies.keys.sorted() {
                text += "-> \(host): \(summary(replies[host]!))\n"
            }
            admin.emit(json: .object(replies), text: text + "\n\(replies.count) node\(replies.count == 1 ? "" : "s") online.\n")
        }
    }

    func line(_ item: JSONValue) -> String {
        guard let name = item["name"]?.stringValue else { return "    * " + PythonRepr.repr(item) }
        let id = item["id"]?.stringValue ?? item["request"]?["id"]?.stringValue ?? ""
        return "    * \(name)[\(id)]"
    }

    func summary(_ v: JSONValue) -> String {
        switch v {
        case .array(let a) where a.isEmpty: return "- empty -"
        case .array(let a): return "\n" + a.map(line).joined(separator: "\n")
        case .object(let o) where o["ok"] != nil: return "OK \(o["ok"]!.stringValue ?? o["ok"]!.description)"
        default: return AdminJSON.pretty(v)
        }
    }
}

/// `celery-admin control …`: change workers.
public struct ControlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Control workers: revoke ID [--terminate], shutdown, rate_limit TASK RATE, add_consumer QUEUE, cancel_consumer QUEUE, ping.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "revoke, shutdown, rate_limit, add_consumer, cancel_consumer or ping.") var command: String
    @Argument(help: "Arguments: a task id (revoke), TASK RATE (rate_limit), a queue (add_consumer, cancel_consumer).") var arguments: [String] = []
    @Flag(help: "revoke: also cancel the task if it is running.") var terminate = false
    @Option(name: [.customShort("d"), .long], help: "Only these workers (comma-separated host names).") var destination: String?
    @Option(help: "Seconds to collect replies.") var timeout: Double = 1
    public init() {}

    func request() throws -> (String, [String: JSONValue]) {
        func need(_ n: Int, _ usage: String) throws {
            guard arguments.count == n else { throw ValidationError("usage: control \(usage)") }
        }
        switch command {
        case "revoke":
            guard !arguments.isEmpty else { throw ValidationError("usage: control revoke ID [ID…] [--terminate]") }
            return ("revoke", ["task_id": .array(arguments.map(JSONValue.string)), "terminate": .bool(terminate), "signal": "SIGTERM"])
        case "shutdown", "ping":
            try need(0, command)
            return (command, [:])
        case "rate_limit":
            try need(2, "rate_limit TASK RATE (e.g. 10/s, 100/m)")
            return ("rate_limit", ["task_name": .string(arguments[0]), "rate_limit": .string(arguments[1])])
        case "add_consumer", "cancel_consumer":
            try need(1, "\(command) QUEUE")
            return (command, ["queue": .string(arguments[0])])
        default:
            throw ValidationError("unknown control command '\(command)'")
        }
    }

    public func validate() throws { _ = try request() }

    public func run() async throws {
        try await adminRun {
            let (method, args) = try request()
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            let replies = try await app.controlClient.call(
                method, arguments: args, destination: destination.map { $0.split(separator: ",").map(String.init) }, timeout: .seconds(double: timeout))
            let text = replies.keys.sorted().map { "-> \($0): \(replies[$0]!)" }.joined(separator: "\n")
            admin.emit(json: .object(replies), text: (replies.isEmpty ? "no worker replied within \(timeout)s" : text) + "\n")
        }
    }
}

/// `celery-admin purge`: delete waiting messages.
public struct PurgeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "purge", abstract: "Delete every waiting message of queues (asks first unless -f).")
    @OptionGroup var admin: AdminOptions
    @Option(name: [.customShort("Q"), .long], help: "Queues, comma-separated.") var queues: String = "celery"
    @Flag(name: [.customShort("f"), .long], help: "Do not ask for confirmation.") var force = false
    public init() {}

    public func run() async throws {
        try await adminRun {
            let names = queues.split(separator: ",").map { $0.trimmingCharactersInWhitespace() }.filter { !$0.isEmpty }
            if !force {
                writeStandardError("Delete all waiting messages in \(names.joined(separator: ", "))? [y/N] ")
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { throw AdminFailure("aborted", code: 1) }
            }
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            var out: [String: JSONValue] = [:]
            for q in names { out[q] = .int(Int64(try await app.broker.purge(queue: q))) }
            admin.emit(json: .object(out), text: names.map { "purged \(out[$0]!) message(s) from \($0)" }.joined(separator: "\n") + "\n")
        }
    }
}

/// `celery-admin status`: workers online.
public struct StatusCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "status", abstract: "List the workers that answer a ping.")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Seconds to collect replies.") var timeout: Double = 1
    public init() {}

    public func run() async throws {
        try await adminRun {
            let app = try await admin.connect()
            defer { Task { try? await app.close() } }
            let replies = try await app.controlClient.call("ping", timeout: .seconds(double: timeout))
            let text = replies.keys.sorted().map { "-> \($0): OK" }.joined(separator: "\n")
            admin.emit(json: .array(replies.keys.sorted().map(JSONValue.string)), text: text + "\n\n\(replies.count) node\(replies.count == 1 ? "" : "s") online.\n")
            if replies.isEmpty { throw ExitCode(1) }
        }
    }
}
