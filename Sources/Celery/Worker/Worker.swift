#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Runs tasks from queues and broadcast channels.
///
/// - Concurrency N: N executors take deliveries from one buffer; each consumer prefetches at
///   most N × multiplier unacknowledged messages.
/// - Acks late by default (after the result is stored), so a crash means redelivery, not loss.
/// - Bad input (undecodable, wrong content type, unknown task, wrong arguments, oversized,
///   poison) is logged, dead-lettered and stored as FAILURE when it has an id; the worker goes on.
/// - ``shutdown()`` is warm: stop consuming, return prefetched-but-unstarted messages, let
///   running tasks finish within ``WorkerOptions/shutdownTimeout``; a second call is cold:
///   running tasks are cancelled and their messages returned (redelivered later).
public final class Worker: Sendable {
    /// The app whose tasks run here.
    public let app: Celery
    /// Settings.
    public let options: WorkerOptions
    let logger: Logger
    let state: Mutex<WorkerState>
    let buffer = DeliveryBuffer<Incoming>()
    let stopRequested = Event()
    let coldRequested = Event()
    let finished = Event()
    let started = Event()
    let events: EventDispatcher?

    public init(app: Celery, options: WorkerOptions = WorkerOptions(), logger: Logger? = nil) {
        self.app = app
        self.options = options
        CanvasBuiltins.register(on: app)
        var l = logger ?? app.logger
        l[metadataKey: "worker"] = .string(options.hostname)
        self.logger = l
        self.state = Mutex(WorkerState(revoked: RevokedSet(limit: options.maxRevoked)))
        self.events = options.sendEvents ? EventDispatcher(broker: app.broker, hostname: options.hostname, logger: l) : nil
    }

    /// Fields of worker events.
    func workerFields() -> [String: JSONValue] {
        let s = stats
        return [
            "freq": .double(options.heartbeatInterval.seconds), "sw_ident": "swift-celery", "sw_ver": "0.1.0", "sw_sys": "Linux",
            "active": .int(Int64(activeTasks.count)), "processed": .int(Int64(s.total.values.reduce(0, +))),
        ]
    }

    /// Consumes and runs tasks until ``shutdown()``. Throws if a consumer cannot be started
    /// (unreachable broker, bad queue).
    public func run() async throws {
        var routes: [Route] = options.queues.map { .queue($0) } + options.broadcasts.map { .broadcast($0) }
        if options.enableControl { routes.append(.broadcast(ControlMessage.exchange)) }
        do {
            for r in routes { try await startConsuming(r) }
        } catch {
            for c in state.withLock({ $0.consumers.values.map(\.consumer) }) { await c.cancel() }
            finished.fire()
            throw error
        }
        logger.info(
            "worker ready: \(options.concurrency) slots, consuming \(routes.map(\.description).joined(separator: ", ")) from \(app.broker.displayURL)")
        started.fire()
        await events?.send("worker-online", workerFields())
        await withTaskGroup(of: Void.self) { group in
            if let events {
                group.addTask {
                    while !self.stopRequested.isFired {
                        _ = await self.stopRequested.wait(timeout: self.options.heartbeatInterval)
                        if self.stopRequested.isFired { break }
                        await events.send("worker-heartbeat", self.workerFields())
                    }
                }
            }
            let executorsDone = Event()
            group.addTask {
                await withTaskGroup(of: Void.self) { ex in
                    for _ in 0..<self.options.concurrency {
                        ex.addTask { while let inc = await self.buffer.next() { await self.execute(inc) } }
                    }
                    await ex.waitForAll()
                }
                executorsDone.fire()
            }
            // Warm shutdown.
            await stopRequested.wait()
            logger.info("warm shutdown: no new messages; waiting up to \(options.shutdownTimeout.seconds)s for running tasks")
            let consumers = state.withLock { s -> [ConsumerEntry] in
                s.stopping = true
                return Array(s.consumers.values) + s.retiredConsumers
            }
            for c in consumers { await c.consumer.stopDeliveries() }
            let unstarted = buffer.close()
            let scheduled = state.withLock { s -> [Incoming] in
                let items = s.scheduled.values.map { $0.timer?.cancel(); return $0.incoming }
                s.scheduled.removeAll()
                return items
            }
            for inc in unstarted + scheduled where !inc.delivery.route.isBroadcast {
                try? await inc.delivery.requeue()
            }
            if !unstarted.isEmpty || !scheduled.isEmpty {
                logger.info("returned \(unstarted.count + scheduled.count) prefetched task(s) to their queues")
            }
            let done = await withTaskGroup(of: Bool.self) { g in
                g.addTask { await executorsDone.wait(timeout: self.options.shutdownTimeout) }
                g.addTask { await self.coldRequested.wait(); return false }
                let first = await g.next() ?? false
                g.cancelAll()
                return first
            }
            if !done {
                logger.warning("cold shutdown: cancelling running tasks; their messages return to the queue")
                state.withLock { $0.cold = true }
                let running = state.withLock { Array($0.active.values) }
                for r in running { r.cancel() }
                _ = await executorsDone.wait(timeout: .seconds(5))
            }
            for c in consumers { await c.consumer.cancel() }
            for c in consumers { c.reader.cancel() }
            for c in consumers { await c.reader.value }
            group.cancelAll()
        }
        await events?.send("worker-offline", workerFields())
        if let events, await !events.flush(within: .seconds(3)) { logger.warning("some events were not sent before stopping") }
        logger.info("worker stopped")
        finished.fire()
    }

    /// Starts consuming a route (used at startup and by the `add_consumer` control command).
    public func startConsuming(_ route: Route) async throws {
        guard state.withLock({ !$0.stopping && $0.consumers[route] == nil }) else { return }
        let c = try await app.broker.consume(route, options: ConsumeOptions(prefetch: options.prefetch, consumerTag: options.hostname))
        let reader = Task { await self.readLoop(c, route: route) }
        let duplicate = state.withLock { s -> Bool in
            if s.consumers[route] != nil || s.stopping { return true }
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
            guard var rl = s.rateLimits[task] else { return 0 }
            let now = Date().timeIntervalSince1970
            let start = max(now, rl.next)
            rl.next = start + rl.interval
            s.rateLimits[task] = rl
            return start - now
        }
        if wait > 0 { try? await Task.sleep(for: .seconds(double: wait)) }
    }

    /// Requests a warm shutdown; a second call requests a cold one.
    public func shutdown() {
        if stopRequested.isFired { coldRequested.fire() } else { stopRequested.fire() }
    }

    /// Whether a shutdown was requested.
    public var isShuttingDown: Bool { stopRequested.isFired }

    /// Waits until ``run()`` has started its consumers.
    public func waitUntilStarted() async { await started.wait() }

    /// Waits until ``run()`` has returned.
    public func waitUntilFinished() async { await finished.wait() }

    // MARK: Revocation and inspection

    /// Marks a task revoked on this worker; with `terminate`, cancels it if running.
    public func revoke(_ taskId: String, terminate: Bool = false) {
        let handle = state.withLock { s -> RunningHandle? in
            s.revoked.insert(taskId)
            guard terminate, let h = s.active[taskId] else { return nil }
            s.terminated.insert(taskId)
            return h
        }
        if let handle {
            logger.info("terminating revoked task", metadata: ["task_id": .string(taskId)])
            handle.cancel()
        }
    }

    /// Whether an id is revoked here.
    public func isRevoked(_ taskId: String) -> Bool { state.withLock { $0.revoked.contains(taskId) } }

    /// Tasks running now.
    public var activeTasks: [ActiveTaskInfo] { state.withLock { $0.active.values.map(\.info) } }
    /// Tasks held until their ETA.
    public var scheduledTasks: [ScheduledTaskInfo] { state.withLock { $0.scheduled.values.map(\.info) } }
    /// Deliveries waiting for a free slot.
    public var reservedCount: Int { buffer.count }
    /// Tasks received and waiting for a free slot (id, name), oldest first.
    public var reservedTasks: [(id: String, name: String)] {
        buffer.snapshot.compactMap { inc in inc.message.map { ($0.id, $0.task) } }
    }
    /// Counters.
    public var stats: WorkerStats { state.withLock { $0.stats } }
    /// Revoked ids remembered.
    public var revokedIds: [String] { state.withLock { Array($0.revoked.ids) } }

    // MARK: Receiving

    func readLoop(_ consumer: any MessageConsumer, route: Route) async {
        var failures = 0
        while !state.withLock({ $0.stopping }) {
            let delivery: Delivery?
            do {
                delivery = try await consumer.next()
                failures = 0
            } catch {
                if state.withLock({ $0.stopping }) || Task.isCancelled { break }
                failures += 1
                let wait = min(0.1 * pow(2, Double(failures)), 10)
                logger.error("consumer of \(route) failed: \(error); retrying in \(wait)s")
                try? await Task.sleep(for: .seconds(double: wait))
                continue
            }
            guard let delivery else { break }
            if route == .broadcast(ControlMessage.exchange) {
                await handleControl(delivery)
                continue
            }
            if route.isBroadcast { state.withLock { $0.stats.broadcastsReceived += 1 } }
            if state.withLock({ $0.stopping }) {
                if !route.isBroadcast { try? await delivery.requeue() }
                break
            }
            await receive(delivery, consumer: consumer)
        }
    }

    func receive(_ delivery: Delivery, consumer: any MessageConsumer) async {
        var inc = Incoming(delivery: delivery, message: nil, decodeError: nil, consumer: consumer, receivedAt: Date())
        if delivery.message.decodeError == nil, delivery.message.body.count <= options.maxMessageBytes {
            do { inc.message = try TaskMessage(delivery.message) } catch let e as CeleryError { inc.decodeError = e } catch {
                inc.decodeError = CeleryError(.decoding, "\(error)")
            }
        }
        if let m = inc.message {
            await events?.send("task-received", ordered: [
                "uuid": .string(m.id), "name": .string(m.task), "args": .string(m.argsrepr ?? PythonRepr.args(m.args)),
                "kwargs": .string(m.kwargsrepr ?? PythonRepr.kwargs(m.kwargs)), "root_id": m.rootId.map(JSONValue.string) ?? .null,
                "parent_id": m.parentId.map(JSONValue.string) ?? .null, "retries": .int(Int64(m.retries)),
                "eta": m.eta.map { .string(CeleryDate.format($0)) } ?? .null,
                "expires": m.expires.map { .string(CeleryDate.format($0)) } ?? .null,
            ])
        }
        if let m = inc.message, let eta = m.eta, eta.timeIntervalSinceNow > 0.001, !(m.expires.map { $0 <= eta } ?? false) {
            await schedule(inc, message: m, eta: eta)
            return
        }
        if !buffer.push(inc), !delivery.route.isBroadcast {
            try? await delivery.requeue()
        }
    }

    /// Holds a message until its ETA without using an execution slot (the consumer's
    /// prefetch is raised meanwhile so other messages keep flowing).
    func schedule(_ inc: Incoming, message m: TaskMessage, eta: Date) async {
        await inc.consumer.adjustPrefetch(by: 1)
        logger.info("task received, scheduled for \(CeleryDate.format(eta))", metadata: ["task_id": .string(m.id), "task_name": .string(m.task)])
        let info = ScheduledTaskInfo(id: m.id, name: m.task, eta: eta)
        let token = state.withLock { s -> UInt64 in
            s.nextToken += 1
            s.scheduled[s.nextToken] = (info, nil, inc)
            return s.nextToken
        }
        let timer = Task {
            let delay = eta.timeIntervalSinceNow
            if delay > 0 { try? await Task.sleep(for: .seconds(double: delay)) }
            if Task.isCancelled { return }
            let entry = self.state.withLock { $0.scheduled.removeValue(forKey: token) }
            guard let entry else { return }
            await entry.incoming.consumer.adjustPrefetch(by: -1)
            if !self.buffer.push(entry.incoming), !entry.incoming.delivery.route.isBroadcast {
                try? await entry.incoming.delivery.requeue()
            }
        }
        state.withLock { s in
            if s.scheduled[token] != nil { s.scheduled[token]!.timer = timer }
        }
    }
}
