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

/// `celery-admin inspect WHAT`: ask workers about themselves. The commands come from
/// ``RemoteControlMethod`` (the registry the worker and the dashboard also read).
public struct InspectCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Ask workers: \(RemoteControlMethod.inspectCommands.map(\.rawValue).joined(separator: ", ")).",
        discussion: RemoteControlMethod.inspectCommands.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
    @OptionGroup var admin: AdminOptions
    @Argument(help: "\(RemoteControlMethod.inspectCommands.map(\.rawValue).joined(separator: ", ")).") var what: String
    @Option(name: [.customShort("d"), .long], help: "Only these workers (comma-separated host names).") var destination: String?
    @Option(help: "Seconds to collect replies.") var timeout: Double = 1
    public init() {}

    static var methods: Set<String> { Set(RemoteControlMethod.inspectCommands.map(\.rawValue)) }

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

/// `celery-admin control …`: change workers (commands from ``RemoteControlMethod``).
public struct ControlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Control workers: "
            + RemoteControlMethod.controlCommands.map { ([$0.rawValue] + $0.positionalArguments).joined(separator: " ") }.joined(separator: ", ")
            + " (revoke takes --terminate).",
        discussion: RemoteControlMethod.controlCommands.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
    @OptionGroup var admin: AdminOptions
    @Argument(help: "\(RemoteControlMethod.controlCommands.map(\.rawValue).joined(separator: ", ")).") var command: String
    @Argument(help: "Arguments: a task id (revoke), TASK RATE (rate_limit), a queue (add_consumer, cancel_consumer), N (pool_grow, pool_shrink).") var arguments: [String] = []
    @Flag(help: "revoke: also cancel the task if it is running.") var terminate = false
    @Option(name: [.customShort("d"), .long], help: "Only these workers (comma-separated host names).") var destination: String?
    @Option(help: "Seconds to collect replies.") var timeout: Double = 1
    public init() {}

    func request() throws -> (String, [String: JSONValue]) {
        guard let method = RemoteControlMethod(rawValue: command), method.isControl else {
            throw ValidationError("unknown control command '\(command)' (use: \(RemoteControlMethod.controlCommands.map(\.rawValue).joined(separator: ", ")))")
        }
        do { return (method.rawValue, try method.arguments(from: arguments, terminate: terminate)) } catch let e as CeleryError {
            throw ValidationError(e.message)
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
