import Celery
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension DemoRunner {
    /// Publish → receive latency when nothing queues (each message is sent once the one
    /// before it has arrived), then throughput with every message sent at once; one consumer.
    func latency() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        for broadcast in [true, false] {
            let route = self.route("latency", broadcast)
            // Unsaturated: one message in flight at a time.
            var (cs, brokers) = try await makeConsumers(route, count: 1, prefetch: 64)
            let producer = try await connect()
            let consumer = cs[0]
            // In one process (memory://) producer and consumer share one thread, as a
            // connection's event loop is shared by its reader and its tasks: a hand-off is
            // then an enqueue, not a thread wake-up. Server transports keep Swift's executor.
            let pool = isMemory ? ThreadPoolTaskExecutor(threads: 1) : nil
            let executor: (any TaskExecutor)? = pool
            let reader = Task(executorPreference: executor) { await consumer.run(count: messages) }
            let paced = Task(executorPreference: executor) {
                for i in 0..<messages {
                    _ = try await publish(1, to: route, on: producer, from: i)
                    await consumer.waitUntilReceived(i + 1)
                    if Task.isCancelled { break }
                }
            }
            // A lost message (broadcast drops) must not hang the run: stop waiting after 30 s.
            let watchdog = Task {
                try? await Task.sleep(for: .seconds(30))
                if !Task.isCancelled { paced.cancel(); reader.cancel() }
            }
            try await paced.value
            await reader.value
            watchdog.cancel()
            pool?.shutdown()
            let lat = consumer.received.map(\.latencyMs)
            var r = ScenarioResult(name: "latency", mode: route, consumers: 1, sent: messages, received: [consumer.count])
            r.p50Ms = Stats.percentile(lat, 50)
            r.p99Ms = Stats.percentile(lat, 99)
            r.lost = messages - consumer.count
            await closeAll(cs, brokers)
            // Saturated: every message sent at once; throughput is received messages per second.
            (cs, brokers) = try await makeConsumers(route, count: 1, prefetch: 64)
            let started = Date()
            let burstReader = cs[0]
            let drained = Task { await burstReader.run(count: messages) }
            _ = try await publish(messages, to: route, on: producer)
            let burstWatchdog = Task {
                try? await Task.sleep(for: .seconds(30))
                if !Task.isCancelled { drained.cancel() }
            }
            await drained.value
            burstWatchdog.cancel()
            let end = burstReader.finishedAt ?? Date()
            let secs = max(end.timeIntervalSince(started), 1e-6)
            r.elapsedS = secs
            r.throughputPerS = (Double(burstReader.count) / secs).rounded()
            r.note = "latency: one message in flight at a time; throughput: \(messages) sent at once"
            out.append(r)
            await closeAll(cs, brokers)
            try? await producer.close()
            say("   \(r.mode): p50 \(r.p50Ms ?? 0) ms, p99 \(r.p99Ms ?? 0) ms, \(Int(r.throughputPerS ?? 0))/s")
        }
        return out
    }
}
