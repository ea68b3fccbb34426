import ServiceLifecycle

/// The beat scheduler is a swift-service-lifecycle `Service`: in a `ServiceGroup`,
/// ``BeatScheduler/run()`` returns at the group's graceful shutdown (or when the group is
/// cancelled), after releasing the lease.
///
/// ```swift
/// let beat = try BeatScheduler(app: app, entries: file.entries, store: FileBeatStateStore(path: "celerybeat-state.json"))
/// let group = ServiceGroup(configuration: ServiceGroupConfiguration(
///     services: [worker, beat], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
extension BeatScheduler: Service {}
