import Celery
import Foundation

extension DemoRunner {
    /// 1 producer, N consumers, M messages: who gets what.
    func fanout() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        for broadcast in [true, false] {
            let route = self.route("fanout", broadcast)
            let (cs, brokers) = try await makeConsumers(route, count: consumers, prefetch: 8)
            let producer = try await connect()
            let started = Date()
            async let done: Void = withTaskGroup(of: Void.self) { g in
                for c in cs { g.addTask { _ = await c.run(idle: .seconds(1)) } }
            }
            _ = try await publish(messages, to: route, on: producer)
            await done
            let counts = cs.map(\.count)
            var r = ScenarioResult(name: "fanout", mode: route, consumers: consumers, sent: messages, received: counts)
            let expected = broadcast ? consumers * messages : messages
            let unique = Set(cs.flatMap { $0.received.map(\.seq) }).count
            r.lost = max(0, expected - r.receivedTotal)
            r.duplicates = broadcast ? 0 : r.receivedTotal - unique
            r.elapsedS = Date().timeIntervalSince(started) - 1
            r.note = broadcast ? "every subscriber gets every message" : "each message goes to one consumer"
            out.append(r)
            await closeAll(cs, brokers)
            try? await producer.close()
            say("   \(r.mode): received per consumer \(counts)")
        }
        return out
    }

    /// M messages published while no consumer runs; then one starts.
    func offline() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        for broadcast in [true, false] {
            let route = self.route("offline", broadcast)
            try await declare(route)
            let producer = try await connect()
            let receivers = try await publish(messages, to: route, on: producer)
            try await Task.sleep(for: .milliseconds(100))
            let (cs, brokers) = try await makeConsumers(route, count: 1, prefetch: 16)
            _ = await cs[0].run(idle: .seconds(1))
            var r = ScenarioResult(name: "offline", mode: route, consumers: 1, sent: messages, received: [cs[0].count])
            r.lost = messages - cs[0].count
            r.duplicates = 0
            r.note = broadcast ? "publish reported \(receivers) receivers in total" : "messages waited in the queue"
            out.append(r)
            await closeAll(cs, brokers)
            try? await producer.close()
            say("   \(r.mode): late consumer received \(cs[0].count)/\(messages)")
        }
        return out
    }

    /// A consumer dies holding unacknowledged messages.
    func crash() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        let n = max(2, consumers)
        for broadcast in [true, false] {
            let route = self.route("crash", broadcast)
            // Consumer 0 is the victim: slow, large prefetch, dies after 3 messages.
            let (cs, brokers) = try await makeConsumers(
                route, count: n, prefetch: 10, processing: [.milliseconds(20)] + Array(repeating: .milliseconds(1), count: n - 1))
            let producer = try await connect()
            let victim = cs[0]
            let started = Date()
            async let survivors: Void = withTaskGroup(of: Void.self) { g in
                for c in cs.dropFirst() { g.addTask { _ = await c.run(idle: .seconds(2)) } }
            }
            async let victimRun: [Delivery] = victim.run(idle: .seconds(2), limit: 3, holdAfterLimit: broadcast ? 1 : 5)
            _ = try await publish(messages, to: route, on: producer)
            let held = await victimRun
            // The crash: the victim's connection goes away without acknowledging.
            try? await brokers[0].close()  // its connection drops: consumers cancelled, nothing acknowledged
            say("   \(broadcast ? "broadcast" : "queue"): consumer 0 crashed after 3 messages, holding \(held.count) unacknowledged")
            await survivors
            let counts = cs.map(\.count)
            var r = ScenarioResult(name: "crash", mode: route, consumers: n, sent: messages, received: counts)
            let unique = Set(cs.flatMap { $0.received.map(\.seq) }).count
            if broadcast {
                r.lost = n * messages - r.receivedTotal
                r.duplicates = 0
            } else {
                r.lost = messages - unique
                r.duplicates = r.receivedTotal - unique
            }
            r.redelivered = cs.flatMap(\.received).filter(\.redelivered).count
            r.elapsedS = Date().timeIntervalSince(started)
            r.note = "consumer 0 died after processing 3, holding \(held.count) unacknowledged"
            out.append(r)
            await closeAll(Array(cs.dropFirst()), Array(brokers.dropFirst()))
            try? await producer.close()
        }
        return out
    }

    /// A fast and a slow consumer: how work is spread.
    func balance() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        let variants: [(Bool, Int, String)] = [(true, 8, "slow subscriber"), (false, 1, "prefetch 1"), (false, 32, "prefetch 32")]
        for (broadcast, prefetch, variant) in variants {
            let route = self.route("balance-\(prefetch)", broadcast)
            let (cs, brokers) = try await makeConsumers(route, count: 2, prefetch: prefetch, processing: [nil, .milliseconds(10)])
            let producer = try await connect()
            let started = Date()
            async let done: Void = withTaskGroup(of: Void.self) { g in
                for c in cs { g.addTask { _ = await c.run(idle: .seconds(1)) } }
            }
            _ = try await publish(messages, to: route, on: producer)
            await done
            var r = ScenarioResult(name: "balance", mode: route, variant: variant, consumers: 2, sent: messages, received: cs.map(\.count))
            let finish = cs.compactMap(\.finishedAt).max() ?? Date()
            r.elapsedS = finish.timeIntervalSince(started)
            let slowLatency = cs[1].received.map(\.latencyMs)
            r.p50Ms = Stats.percentile(slowLatency, 50)
            r.p99Ms = Stats.percentile(slowLatency, 99)
            r.lost = max(0, (broadcast ? 2 * messages : messages) - r.receivedTotal)
            r.note = "consumer 0 fast, consumer 1 takes 10 ms per message; latencies are the slow consumer's"
            out.append(r)
            await closeAll(cs, brokers)
            try? await producer.close()
            say("   \(r.mode) (\(variant)): fast \(cs[0].count), slow \(cs[1].count), done in \(String(format: "%.2f", r.elapsedS ?? 0))s")
        }
        return out
    }

    /// Publish → receive latency and throughput, one consumer.
    func latency() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        for broadcast in [true, false] {
            let route = self.route("latency", broadcast)
            let (cs, brokers) = try await makeConsumers(route, count: 1, prefetch: 64)
            let producer = try await connect()
            let started = Date()
            async let done: [Delivery] = cs[0].run(idle: .seconds(1))
            _ = try await publish(messages, to: route, on: producer)
            _ = await done
            let lat = cs[0].received.map(\.latencyMs)
            var r = ScenarioResult(name: "latency", mode: route, consumers: 1, sent: messages, received: [cs[0].count])
            r.p50Ms = Stats.percentile(lat, 50)
            r.p99Ms = Stats.percentile(lat, 99)
            let end = cs[0].finishedAt ?? Date()
            let secs = max(end.timeIntervalSince(started), 1e-6)
            r.elapsedS = secs
            r.throughputPerS = (Double(cs[0].count) / secs).rounded()
            r.lost = messages - cs[0].count
            out.append(r)
            await closeAll(cs, brokers)
            try? await producer.close()
            say("   \(r.mode): p50 \(r.p50Ms ?? 0) ms, p99 \(r.p99Ms ?? 0) ms, \(Int(r.throughputPerS ?? 0))/s")
        }
        return out
    }

    /// Broker restart mid-stream (server transports only).
    func restart() async throws -> [ScenarioResult] {
        say("   restart: not applicable on \(isMemory ? "memory:// (nothing outlives the process)" : "this transport without --restart-command")")
        return []
    }
}
