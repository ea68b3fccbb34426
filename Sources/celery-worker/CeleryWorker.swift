import Celery
import CeleryAllTransports
import CeleryCommands
import ExampleTasks

/// The bundled example tasks, hosted by `celery-worker`.
enum BundledTasks: TaskProvider {
    static let appName = "tasks"
    static func register(on app: Celery) { ExampleTasks.register(on: app) }
    static func registerTransports() { AllTransports.register() }
}

@main
enum CeleryWorkerMain {
    static func main() async {
        installNIOExecutorIfRequested()
        await WorkerCommand<BundledTasks>.main()
    }
}
