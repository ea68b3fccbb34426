import Celery
import CeleryAllTransports
import CeleryCommands
import Foundation
import WebAppTasks

/// The example's tasks as `celery-webapp-example worker` hosts them (paths from
/// `CELERY_WEBAPP_DATA` / `CELERY_WEBAPP_OUTBOX`, which `--data` / `--outbox` set).
enum WebAppWorkerTasks: TaskProvider {
    static let appName = "webapp"
    static func register(on app: Celery) { WebAppTasks.register(on: app, settings: WebAppSettings()) }
    static func registerTransports() { AllTransports.register() }
}

/// `celery-webapp-example [serve flags]` runs the web app; `celery-webapp-example worker
/// [--data DIR] [--outbox DIR] [celery-worker flags]` runs a worker for its tasks.
@main
enum CeleryWebAppExampleMain {
    static func main() async {
        var args = Array(CommandLine.arguments.dropFirst())
        if args.first == "serve" { args.removeFirst() }
        guard args.first == "worker" else {
            await ServeCommand.main(args)
            return
        }
        args.removeFirst()
        // Our two path flags become the environment the task provider reads; the rest are celery-worker's.
        var rest: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if let (flag, variable) = [("--data", "CELERY_WEBAPP_DATA"), ("--outbox", "CELERY_WEBAPP_OUTBOX")].first(where: { a == $0.0 || a.hasPrefix($0.0 + "=") }) {
                let value: String
                if a.hasPrefix(flag + "=") { value = String(a.dropFirst(flag.count + 1)) } else if i + 1 < args.count { value = args[i + 1]; i += 1 } else {
                    FileHandle.standardError.write(Data("celery-webapp-example worker: \(flag) needs a directory\n".utf8))
                    exit(64)
                }
                setenv(variable, value, 1)
            } else {
                rest.append(a)
            }
            i += 1
        }
        await WorkerCommand<WebAppWorkerTasks>.main(rest)
    }
}
