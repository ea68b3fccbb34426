#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// Runs tasks from queues and broadcast channels.
///
/// - Concurrency N: N execution slots take deliveries from one queue; each consumer prefetches
///   at most N × multiplier unacknowledged messages.
/// - Acks late by default (after the result is stored), so a crash means redelivery, not loss.
/// - Bad input (undecodable, wrong content type, unknown task, wrong arguments, oversized,
///   poison) is logged, dead-lettered and stored as FAILURE when it has an id; the worker goes on.
/// - ``shutdown()`` is warm: stop consuming, return prefetched-but-unstarted messages, let
///   running tasks finish within ``WorkerOptions/shutdownTimeout``; a second call is cold:
///   running tasks are cancelled and their messages returned (redelivered later).
///
/// The worker's life is one ``WorkerPhase`` (see ``phase``); how a delivery is settled is
/// decided in one place (`Settlement`) and carried out in one place (`settle`).
public final class Worker: Sendable {
    /// The app whose tasks run here.
    public let app: Celery
    /// Settings.
    public let options: WorkerOptions
    let logger: Logger
    let state: Mutex<WorkerState>
    let lifecycle = WorkerLifecycle()
    /// Received deliveries waiting for a free execution slot.
    let buffer = DeliveryQueue<Incoming>()
    let events: EventDispatcher?
    /// The worker's process id, for STARTED results (read once).
    let pid = JSONValue.int(Int64(ProcessInfo.processInfo.processIdentifier))
    /// Prefetched and active gauges (see ``CeleryMetrics``).
    let metrics = WorkerMetrics()

    public init(app: Celery, options: WorkerOptions = WorkerOptions(), logger: Logger? = nil) {
        self.app = app
        self.options = options
        CanvasBuiltins.register(on: app)
        var l = logger ?? app.logger
        l[metadataKey: "worker"] = .string(options.hostname)
        self.logger = l
        self.state = Mutex(WorkerState(revoked: RevokedSet(limit: options.maxRevoked), slots: options.concurrency))
        self.events = options.sendEvents ? EventDispatcher(broker: app.broker, hostname: options.hostname, logger: l, batchSize: options.eventsBatchSize) : nil
    }

    /// Where the worker is in its life.
    public var phase: WorkerPhase { lifecycle.phase }

    /// Fields of worker events.
    func workerFields() -> [String: JSONValue] {
        let s = stats
        return [
            "freq": .double(options.heartbeatInterval.seconds), "sw_ident": "swift-celery", "sw_ver": "0.1.0", "sw_sys": "Linux",
            "active": .int(Int64(activeTasks.count)), "processed": .int(Int64(s.total.values.reduce(0, +))),
        ]
    }

    /// The body of ``run()`` (see `Worker+Service.swift`): consumes and runs tasks until the
    /// phase reaches a warm shutdown, then stops as that phase and a later cold one require.
    func consumeUntilShutdown() async throws {
        lifecycle.advance(to: .starting)
        var routes: [Route] = options.queues.map { .queue($0) } + options.broadcasts.map { .broadcast($0) }
        if options.enableControl { routes.append(.broadcast(ControlMessage.exchange)) }
        do {
            for r in routes { try await startConsuming(r) }
        } catch {
            for c in state.withLock({ $0.consumers.values.map(\.consumer) }) { await c.cancel() }
            lifecycle.advance(to: .stopped)
            throw error
        }
        logger.info(
            "worker ready: \(options.concurrency) slots, consuming \(routes.map(\.description).joined(separator: ", ")) from \(app.broker.displayURL)")
        lifecycle.advance(to: .running)
        await events?.send("worker-online", workerFields())
        let heartbeat: Task<Void, Never>? = events.map { events in
            Task {
                while await !self.lifecycle.wait(until: .warmShutdown, timeout: self.options.heartbeatInterval) {
                    await events.send("worker-heartbeat", self.workerFields())
                }
            }
        }
        let slotsDone = startSlots()

        // Warm shutdown.
        await lifecycle.wait(until: .warmShutdown)
        logger.info("warm shutdown: no new messages; waiting up to \(options.shutdownTimeout.seconds)s for running tasks")
        let consumers = state.withLock { Array($0.consumers.values) + $0.retiredConsumers }
        for c in consumers { await c.consumer.stopDeliveries() }
        let unstarted = buffer.close()
        let scheduled = state.withLock { s -> [Incoming] in
            let items = s.scheduled.values.map { $0.timer?.cancel(); return $0.incoming }
            s.scheduled.removeAll()
            return items
        }
        metrics.prefetched.decrement(by: Double(unstarted.count + scheduled.count))
        for inc in unstarted + scheduled { await settle(inc.delivery, .notStarted, acksLate: true, log: logger) }
        if !unstarted.isEmpty || !scheduled.isEmpty {
            logger.info("returned \(unstarted.count + scheduled.count) prefetched task(s) to their queues")
        }
        let done = await withTaskGroup(of: Bool.self) { g in
            g.addTask { await slotsDone.wait(timeout: self.options.shutdownTimeout) }
            g.addTask {
                await self.lifecycle.wait(until: .coldShutdown)
                return false
            }
            let first = await g.next() ?? false
            g.cancelAll()
            return first
        }
        if !done {
            logger.warning("cold shutdown: cancelling running tasks; their messages return to the queue")
            lifecycle.advance(to: .coldShutdown)
            let running = state.withLock { $0.running.compactMap { $0 } }
            for r in running { r.cancel() }
            _ = await slotsDone.wait(timeout: .seconds(5))
        }
        for c in consumers { await c.consumer.cancel() }
        for c in consumers { c.reader.cancel() }
        for c in consumers { await c.reader.value }
        heartbeat?.cancel()
        await events?.send("worker-offline", workerFields())
        if let events, await !events.flush(within: .seconds(3)) { logger.warning("some events were not sent before stopping") }
        logger.info("worker stopped")
        lifecycle.advance(to: .stopped)
    }

    /// Starts consuming a route (used at startup and by the `add_consumer` control command).
    public func startConsuming(_ route: Route) async throws {
        guard lifecycle.phase < .warmShutdown, state.withLock({ $0.consumers[route] == nil }) else { return }
        let c = try await app.broker.consume(route, options: ConsumeOptions(prefetch: options.prefetch, consumerTag: options.hostname))
        let reader = Task(executorPreference: c.taskExecutor) { await self.readLoop(c, route: route) }
        let duplicate = state.withLock { s -> Bool in
            if s.consumers[route] != nil || lifecycle.phase >= .warmShutdown { return true }
            s.consumers[route] = ConsumerEntry(route: route, consumer: c, reader: reader)
            return false
        }
        if duplicate {
            await c.cancel()
            reader.cancel()
        }
    }

    /// Stops consuming a queue (the `cancel_consumer` control command). Messages already
    /// received still run and are acknowledged.
    public func stopConsuming(_ route: Route) async {
        let entry = state.withLock { s -> ConsumerEntry? in
            guard let e = s.consumers.removeValue(forKey: route) else { return nil }
            s.retiredConsumers.append(e)
            return e
        }
        await entry?.consumer.stopDeliveries()
    }

    /// Routes consumed now.
    public var consumedRoutes: [Route] { state.withLock { Array($0.consumers.keys) } }

    /// Limits a task to `perSecond` starts per second on this worker (`nil` removes the limit).
    public func setRateLimit(_ task: String, perSecond: Double?) {
        state.withLock { s in
            if let perSecond, perSecond > 0 { s.rateLimits[task] = RateLimit(interval: 1 / perSecond) } else { s.rateLimits[task] = nil }
        }
    }

    /// Waits as a task's rate limit requires before starting it.
    func waitForRateLimit(_ task: String) async {
        let wait = state.withLock { s -> Double in
            guard !s.rateLimits.isEmpty, var rl = s.rateLimits[task] else { return 0 }
            let now = Date().timeIntervalSince1970
            let start = max(now, rl.next)
            rl.next = start + rl.interval
            s.rateLimits[task] = rl
            return start - now
        }
        if wait > 0 { try? await Task.sleep(for: .seconds(double: wait)) }
    }

    /// Requests a warm shutdown; a second call requests a cold one.
    public func shutdown() { lifecycle.requestShutdown() }

    /// Whether a shutdown was requested.
    public var isShuttingDown: Bool { lifecycle.phase >= .warmShutdown }

    /// Waits until ``run()`` has started its consumers (or has already stopped).
    public func waitUntilStarted() async { await lifecycle.wait(until: .running) }

    /// Waits until ``run()`` has returned.
    public func waitUntilFinished() async { await lifecycle.wait(until: .stopped) }

    // MARK: Revocation and inspection

    /// Marks a task revoked on this worker; with `terminate`, cancels it if running.
    public func revoke(_ taskId: String, terminate: Bool = false) {
        let handle = state.withLock { s -> RunningHandle? in
            s.revoked.insert(taskId)
            guard terminate else { return nil }
            return s.running.first { $0?.info.id == taskId } ?? nil
        }
        if let handle {
            logger.info("terminating revoked task", metadata: ["task_id": .string(taskId)])
            handle.terminate()
        }
    }

    /// Whether an id is revoked here.
    public func isRevoked(_ taskId: String) -> Bool { state.withLock { $0.revoked.contains(taskId) } }

    /// Tasks running now.
    public var activeTasks: [ActiveTaskInfo] { state.withLock { $0.running.compactMap { $0?.info } } }
    /// Tasks held until their ETA.
    public var scheduledTasks: [ScheduledTaskInfo] { state.withLock { $0.scheduled.values.map(\.info) } }
    /// Deliveries waiting for a free slot.
    public var reservedCount: Int { buffer.count }
    /// Tasks received and waiting for a free slot (id, name), oldest first.
    public var reservedTasks: [(id: String, name: String)] {
        buffer.snapshot.compactMap { inc in inc.message.map { ($0.id, $0.task) } }
    }
    /// Counters.
    public var stats: WorkerStats {
        state.withLock { s in
            var out = s.stats
            for (name, r) in s.runtimes where r.runCount > 0 { out.total[name] = r.runCount }
            return out
        }
    }
    /// Revoked ids remembered.
    public var revokedIds: [String] { state.withLock { Array($0.revoked.ids) } }
}
