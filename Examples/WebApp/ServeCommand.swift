import ArgumentParser
import Celery
import CeleryAllTransports
import CeleryCommands
import Foundation
import Hummingbird
import Logging
import WebAppTasks

/// `celery-webapp-example [serve]`: the Hummingbird web app. With `--worker in-process` the
/// worker runs in the same process (a service beside the HTTP server: SIGTERM stops the
/// server, then shuts the worker down warm); with `--worker external` the app only enqueues
/// and `celery-webapp-example worker` (or several) runs beside it.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "celery-webapp-example",
        abstract: "Example web app: POST /signup and /thumbnails enqueue tasks, GET /jobs/<id> polls them, GET / is a page that does both.",
        discussion: """
            Run the tasks in this process (--worker in-process, the default) or beside it: \
            `celery-webapp-example worker --broker URL --result-backend URL [--data DIR] [--outbox DIR] [celery-worker flags]`. \
            Both need the same --data directory (uploads and thumbnails) and --outbox.
            """)

    enum WorkerMode: String, ExpressibleByArgument, CaseIterable {
        case inProcess = "in-process"
        case external
    }

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "TCP port (0 = any free port).") var port: Int = 8080
    @Option(help: "Address to bind.") var address: String = "127.0.0.1"
    @Option(help: "Directory of uploads and thumbnails (env CELERY_WEBAPP_DATA; default ./webapp-data).") var data: String?
    @Option(help: "Directory the welcome mails are written to (env CELERY_WEBAPP_OUTBOX; default <data>/outbox).") var outbox: String?
    @Option(help: "Where tasks run: in-process (a worker in this process) or external (celery-webapp-example worker).")
    var worker: WorkerMode = .inProcess
    @Option(name: [.customShort("c"), .long], help: "Tasks the in-process worker runs at once.") var concurrency: Int = 2
    @Option(help: "Queue the tasks are sent to (and the in-process worker consumes).") var queue: String = "celery"
    @Option(name: .customLong("max-upload-bytes"), help: "Largest accepted upload (bytes).") var maxUploadBytes: Int = 8 << 20
    @Option(name: .customLong("cleanup-every"), help: "Seconds between beat's webapp.cleanup_uploads runs (in-process: beat in the same service group; 0 = no beat).")
    var cleanupEvery: Double = 0
    @Option(name: .customLong("upload-max-age"), help: "Seconds an upload is kept before webapp.cleanup_uploads deletes it.")
    var uploadMaxAge: Double = 3600
    @Option(name: .customLong("shutdown-timeout"), help: "Seconds a warm shutdown of the in-process worker waits for running tasks.")
    var shutdownTimeout: Double = 30
    @Option(help: "Token for 'Authorization: Bearer T' and the login form, 16+ characters (env CELERY_WEBAPP_TOKEN).")
    var token: String?
    @Option(name: .customLong("token-file"), help: "Read the token from this file (keeps it out of ps).") var tokenFile: String?
    @Option(name: .customLong("basic-auth"), help: "user:password[,user:password…] for basic auth and the login form (env CELERY_WEBAPP_BASIC_AUTH).")
    var basicAuth: String?
    @Option(name: .customLong("session-timeout"), help: "Seconds a browser session lasts after login.") var sessionTimeout: Double = 43_200
    @Flag(name: .customLong("secure-cookies"), help: "Always mark the session cookie Secure (it is whenever X-Forwarded-Proto is https).")
    var secureCookies = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard cleanupEvery >= 0, uploadMaxAge >= 0 else { throw ValidationError("--cleanup-every and --upload-max-age must not be negative") }
        guard maxUploadBytes >= 1024 else { throw ValidationError("--max-upload-bytes must be at least 1024") }
        guard sessionTimeout >= 60 else { throw ValidationError("--session-timeout must be at least 60 seconds") }
        guard connection.backendURL != nil else {
            throw ValidationError("give --result-backend URL (env CELERY_RESULT_BACKEND): /jobs/<id> reads the task states from it")
        }
    }

    func run() async throws {
        CommandSupport.bootstrapLogging(connection.level)
        let logger = Logger(label: "celery.webapp")
        AllTransports.register()
        let credentials: WebAppCredentials
        do { credentials = try resolveCredentials() } catch let e as WebAppHTTPError {
            writeError(e.message)
            throw ExitCode(64)
        }
        let settings = WebAppSettings(dataDirectory: data, outbox: outbox)
        do { try settings.createDirectories() } catch let e as WebAppError {
            writeError(e.message)
            throw ExitCode(64)
        }
        let app: Celery
        do {
            app = try await CommandSupport.connect(
                name: "webapp", broker: connection.brokerURL(), backend: connection.backendURL, logger: logger,
                configuration: CeleryConfiguration(defaultRoute: .queue(queue)))
        } catch let e as CeleryError {
            writeError(e.message)
            throw ExitCode(e.kind == .badURL ? 64 : 1)
        }
        WebAppTasks.register(on: app, settings: settings)
        let auth = WebAppAuth(credentials: credentials, sessionLifetime: sessionTimeout, secureCookies: secureCookies)
        let routes = WebAppRoutes(app: app, settings: settings, maxUploadBytes: maxUploadBytes, auth: auth)
        let host = address.contains(":") ? "[\(address)]" : address
        let banner = "celery-webapp-example on http://\(host):PORT/ (broker \(app.broker.displayURL), results \(app.backend?.displayURL ?? "none"), worker \(worker.rawValue), data \(settings.dataDirectory), sign-in: \(credentials.summary))"
        let http = Application(
            router: routes.router(),
            configuration: .init(address: .hostname(address, port: port), serverName: "celery-webapp-example"),
            onServerRunning: { channel in
                let port = String(channel.localAddress?.port ?? 0)
                print(banner.replacingOccurrences(of: "PORT", with: port))
                if credentials.generated, let t = credentials.token {
                    // Shown once, here; never logged. Give --token (or env CELERY_WEBAPP_TOKEN) to choose one.
                    print("generated token (no --token or --basic-auth given; shown once): \(t)\nsign in at http://\(host):\(port)/login")
                }
                fflush(nil)
            },
            logger: logger)
        // Beat (optional) sends the periodic cleanup; one beat per deployment (no lease here).
        var beat: BeatScheduler?
        if cleanupEvery > 0 {
            beat = try BeatScheduler(
                app: app,
                entries: [BeatEntry(name: "cleanup-uploads", task: WebAppTasks.cleanupUploads, args: [.double(uploadMaxAge)], schedule: .interval(.seconds(double: cleanupEvery)))],
                logger: logger)
        }
        switch worker {
        case .external:
            try await InProcessWorker.run(services: beat.map { [$0] } ?? [], http: http, worker: nil, logger: logger)
        case .inProcess:
            let w = Worker(app: app, options: WorkerOptions(
                concurrency: concurrency, queues: [queue], hostname: "webapp@\(ProcessInfo.processInfo.hostName)", shutdownTimeout: .seconds(double: shutdownTimeout)))
            try await InProcessWorker.run(services: beat.map { [$0] } ?? [], http: http, worker: w, logger: logger)
        }
        try? await app.close()
    }

    /// The configured credentials; none on a loopback address: a generated token; none elsewhere: an error.
    func resolveCredentials() throws -> WebAppCredentials {
        var c = try WebAppCredentials.resolve(token: token, tokenFile: tokenFile, basicAuth: basicAuth, environment: ProcessInfo.processInfo.environment)
        guard c.isEmpty else { return c }
        guard address == "localhost" || address == "::1" || address.hasPrefix("127.") else {
            throw WebAppHTTPError(400, "refusing to listen on \(address) without credentials: give --token T, --token-file F or --basic-auth user:password (env CELERY_WEBAPP_TOKEN, CELERY_WEBAPP_BASIC_AUTH)")
        }
        c.token = WebAppCredentials.randomToken()
        c.generated = true
        return c
    }

    func writeError(_ message: String) {
        FileHandle.standardError.write(Data("celery-webapp-example: \(message)\n".utf8))
    }
}
