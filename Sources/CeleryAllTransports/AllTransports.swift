import Celery
import CeleryMongo
import CeleryRabbitMQ
import CeleryRedis

/// Every transport and result backend this package ships, for programs that accept any URL
/// (the `celery-*` executables, the dashboard). An application that needs fewer registers
/// only those (`RedisTransport.register()` …) and links nothing else: `CeleryCommands`
/// itself depends on no transport.
public enum AllTransports {
    /// Registers `redis://`/`rediss://` (broker, results, beat lease), `amqp://`/`amqps://`
    /// (broker, `rpc://` results) and `mongodb://` (results). Safe to call more than once.
    public static func register() {
        RedisTransport.register()
        RabbitMQTransport.register()
        MongoBackend.register()
    }
}
