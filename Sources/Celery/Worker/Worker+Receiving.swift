#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

extension Worker {
    /// Reads one consumer until it ends or the worker stops; restarts it with backoff after
    /// an error.
    func readLoop(_ consumer: any MessageConsumer, route: Route) async {
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
        var failures = 0
        let isControl = route == .broadcast(ControlMessage.exchange)
        while lifecycle.phase < .warmShutdown {
            let delivery: Delivery?
            do {
                delivery = try await consumer.next()
                failures = 0
            } catch {
                if lifecycle.phase >= .warmShutdown || Task.isCancelled { break }
                let wait = backoff.delay(attempt: failures)
                failures += 1
                logger.error("consumer of \(route) failed: \(error); retrying in \(wait.seconds)s")
                await backoff.sleep(attempt: failures - 1)
                continue
            }
            guard let delivery else { break }
            if isControl {
                await handleControl(delivery)
                continue
            }
            if route.isBroadcast { state.withLock { $0.stats.broadcastsReceived += 1 } }
            if lifecycle.phase >= .warmShutdown {
                await settle(delivery, .notStarted, acksLate: true, log: logger)
                break
            }
            await receive(delivery, consumer: consumer)
        }
    }

    /// Decodes a delivery, announces it (`task-received`) and hands it to a slot, or holds it
    /// until its ETA.
    func receive(_ delivery: Delivery, consumer: any MessageConsumer) async {
        var inc = Incoming(delivery: delivery, message: nil, decodeError: nil, consumer: consumer, receivedAt: Date())
        metrics.prefetched.increment()
        if delivery.message.decodeError == nil, delivery.message.body.count <= options.maxMessageBytes {
            do { inc.message = try TaskMessage(delivery.message) } catch let e as CeleryError { inc.decodeError = e } catch {
                inc.decodeError = CeleryError(.decoding, "\(error)")
            }
        }
        if let events, let m = inc.message {
            await events.send("task-received", ordered: [
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
        if !buffer.push(inc) {
            metrics.prefetched.decrement()
            await settle(delivery, .notStarted, acksLate: true, log: logger)
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
            s.scheduled[s.nextToken] = ScheduledEntry(info: info, timer: nil, incoming: inc)
            return s.nextToken
        }
        let timer = Task {
            let delay = eta.timeIntervalSinceNow
            if delay > 0 { try? await Task.sleep(for: .seconds(double: delay)) }
            if Task.isCancelled { return }
            let entry = self.state.withLock { $0.scheduled.removeValue(forKey: token) }
            guard let entry else { return }
            await entry.incoming.consumer.adjustPrefetch(by: -1)
            if !self.buffer.push(entry.incoming) {
                self.metrics.prefetched.decrement()
                await self.settle(entry.incoming.delivery, .notStarted, acksLate: true, log: self.logger)
            }
        }
        state.withLock { s in
            if s.scheduled[token] != nil { s.scheduled[token]!.timer = timer }
        }
    }
}
