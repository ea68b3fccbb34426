import Celery
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Serves the process's swift-metrics in Prometheus text format at `GET /metrics`, from a
/// small NIOHTTP1 server: what `celery-worker --metrics-port N` runs. A `Service`: it stops at
/// the `ServiceGroup`'s graceful shutdown (after the services listed after it, such as the
/// worker, have stopped) or when cancelled.
///
/// ```swift
/// let registry = PrometheusServer.bootstrapMetrics()   // before creating the app and worker
/// let server = try await PrometheusServer.bind(host: "127.0.0.1", port: 9410, registry: registry, logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [server, worker], gracefulShutdownSignals: [.sigterm], logger: logger))
/// ```
public final class PrometheusServer: Service, Sendable {
    /// The address it listens on (`host:port`).
    public let address: String
    /// The port it listens on (the one asked for, or the one the system chose for port 0).
    public let port: Int
    private let channel: any Channel
    private let logger: Logger

    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps swift-metrics with swift-prometheus once per process and returns the registry
    /// (the same one on later calls). Call it before creating the ``Celery`` app and ``Worker``.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        bootstrapped.withLock { r in
            if let r { return r }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            r = registry
            return registry
        }
    }

    private init(channel: any Channel, host: String, logger: Logger) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.address = "\(host):\(channel.localAddress?.port ?? 0)"
        self.logger = logger
    }

    /// Listens on `host:port` (port 0: any free port). Throws ``CeleryError`` (`.connection`)
    /// when the address cannot be bound (in use, not local).
    public static func bind(
        host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> PrometheusServer {
        let render: @Sendable () -> [UInt8] = { registry.emitToBuffer() }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return PrometheusServer(channel: channel, host: host, logger: logger)
        } catch {
            throw CeleryError(.connection, "cannot serve metrics on \(host):\(port): \(error)")
        }
    }

    /// Serves until the group's graceful shutdown or cancellation, then closes the listener.
    public func run() async throws {
        logger.info("metrics: serving Prometheus text on http://\(address)/metrics")
        let channel = self.channel
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        logger.debug("metrics: stopped")
    }

    /// Closes the listener (``run()`` returns).
    public func close() { channel.close(promise: nil) }
}
