import Celery
import CeleryCommands
import CeleryRedis
import ExampleTasks

/// A worker that speaks Redis only (broker and results): it embeds `CeleryCommands` with the
/// one transport it registers, so the binary links neither libmongoc nor the AMQP client
/// (`scripts/check-products.sh` and `ProductLinkTests` check its link line).
enum RedisOnlyTasks: TaskProvider {
    static let appName = "tasks"
    static func register(on app: Celery) { ExampleTasks.register(on: app) }
    static func registerTransports() { RedisTransport.register() }
}

@main
enum RedisOnlyWorkerMain {
    static func main() async { await WorkerCommand<RedisOnlyTasks>.main() }
}
