import ArgumentParser
import CeleryCommands
import CeleryDashboard
import Foundation
import Logging

/// `celery-dashboard`: the web monitor and admin back end (Flower-compatible API).
@main
struct CeleryDashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "celery-dashboard",
        abstract: "Web monitor and admin for swift-celery and Celery workers: live events, task history from the result backend, queues, actions; Flower-compatible /api, /metrics.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "TCP port (0 = any free port).") var port: Int = 5555
    @Option(help: "Address to bind. Anything but loopback needs credentials.") var address: String = "127.0.0.1"
    @Flag(name: .customLong("read-only"), help: "Refuse every action (enqueue, revoke, purge, worker control).") var readOnly = false
    @Option(name: .customLong("basic-auth"), help: ArgumentHelp("user:password for HTTP basic auth, several separated by commas (env CELERY_DASHBOARD_BASIC_AUTH).", valueName: "user:password"))
    var basicAuth: String?
    @Option(name: .customLong("api-token"), help: ArgumentHelp("Bearer token for scripts and ?token= sign-in (env CELERY_DASHBOARD_TOKEN).", valueName: "token"))
    var apiToken: String?
    @Option(name: .customLong("max-tasks"), help: "Most tasks kept in memory from events (history beyond comes from the result backend).")
    var maxTasks: Int = 10_000
    @Option(name: .customLong("worker-grace"), help: "Seconds without a heartbeat before a worker counts as offline (at least 3 heartbeat intervals).")
    var workerGrace: Double = 10
    @Option(name: .customLong("queues"), help: "Queues to list even when nothing names them (comma-separated).")
    var queues: String = "celery"
    @Option(name: .customLong("rabbitmq-management"), help: ArgumentHelp("RabbitMQ management API base URL (default: http://<broker user:password@host>:15672/; counts only when it does not answer).", valueName: "URL"))
    var rabbitmqManagement: String?
    @Option(name: .customLong("event-buffer"), help: "Most events waiting to be applied; a faster burst drops the oldest (counted in /metrics).")
    var eventBuffer: Int = 10_000

    func env(_ k: String) -> String? { ProcessInfo.processInfo.environment[k].flatMap { $0.isEmpty ? nil : $0 } }

    func credentials() throws -> DashboardCredentials {
        var c = DashboardCredentials(token: apiToken ?? env("CELERY_DASHBOARD_TOKEN"))
        if let b = basicAuth ?? env("CELERY_DASHBOARD_BASIC_AUTH") {
            do { c.basic = try DashboardCredentials.parseBasic(b) } catch let e as DashboardError { throw ValidationError(e.message) }
        }
        return c
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard workerGrace > 0 else { throw ValidationError("--worker-grace must be positive") }
        guard maxTasks >= 100 else { throw ValidationError("--max-tasks must be at least 100") }
        guard eventBuffer >= 100 else { throw ValidationError("--event-buffer must be at least 100") }
        _ = try credentials()
    }

    func run() async throws {
        CommandSupport.bootstrapLogging(connection.level)
        let logger = Logger(label: "celery.dashboard")
        let config = DashboardConfiguration(
            brokerURL: connection.brokerURL(), backendURL: connection.backendURL, address: address, port: port, readOnly: readOnly,
            credentials: try credentials(), recentTaskLimit: maxTasks, workerGrace: .milliseconds(Int64(workerGrace * 1000)),
            rabbitManagementURL: rabbitmqManagement ?? env("CELERY_DASHBOARD_RABBITMQ_MANAGEMENT"), eventBufferLimit: eventBuffer,
            knownQueues: queues.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let server: DashboardServer
        do { server = try await DashboardServer(configuration: config, logger: logger) } catch let e as DashboardError {
            FileHandle.standardError.write(Data("celery-dashboard: \(e.message)\n".utf8))
            throw ExitCode(2)
        }
        let runner = Task { try await server.run(handleSignals: true) }
        let p = await server.port()
        let host = address.contains(":") ? "[\(address)]" : address
        var banner = "celery-dashboard on http://\(host):\(p)/ (broker \(server.dashboard.app.broker.displayURL)"
        banner += server.dashboard.app.backend.map { ", results \($0.displayURL)" } ?? ", no result backend"
        banner += readOnly ? ", read-only)" : ")"
        print(banner)
        if let t = server.generatedToken {
            print("no credentials given: generated API token \(t)")
            print("open http://\(host):\(p)/?token=\(t)  (scripts: Authorization: Bearer \(t))")
        }
        fflush(nil)
        try await runner.value
    }
}
