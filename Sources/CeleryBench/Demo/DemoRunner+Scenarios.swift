import Celery
import CeleryCommands
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

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
                for c in cs { g.addTask { _ = await c.run(idle: .seconds(1), firstWait: .seconds(10)) } }
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

    /// A consumer dies holding unacknowledged messages: on `memory://` its connection is torn
    /// down; on servers it is a separate process killed with SIGKILL.
    func crash() async throws -> [ScenarioResult] {
        var out: [ScenarioResult] = []
        let n = max(2, consumers)
        for broadcast in [true, false] {
            let route = self.route("crash", broadcast)
            let victimLimit = 3
            var victimChild: DemoProcess?
            var survivorsCS: [DemoConsumer] = []
            var brokers: [any Broker] = []
            var victim: DemoConsumer?
            if isMemory || !useChildProcess {
                let made = try await makeConsumers(
                    route, count: n, prefetch: 10, processing: [.milliseconds(20)] + Array(repeating: .milliseconds(1), count: n - 1))
                victim = made.0[0]
                survivorsCS = Array(made.0.dropFirst())
                brokers = made.1
            } else {
                let child = try DemoProcess(arguments: [
                    "--broker", brokerURL, "--child-consume", route.description, "--child-prefetch", "10",
                    "--child-limit", String(victimLimit), "--child-processing-ms", "20",
                ])
                victimChild = child
                _ = await child.readUntil(timeout: .seconds(30)) { $0.contains("READY") }
                let made = try await makeConsumers(route, count: n - 1, prefetch: 10, processing: Array(repeating: .milliseconds(1), count: n - 1))
                survivorsCS = made.0
                brokers = [try await connect()] + made.1
            }
            let producer = try await connect()
            let started = Date()
            // Survivors wait long enough for a killed consumer's messages to come back (on Redis
            // that is the visibility timeout).
            let idle: Duration = .seconds(2) + restoreDelay
            // In process, the survivors start once the victim has its first message, so it holds
            // a prefetch window when it crashes (consumers pop a batch each: a survivor starting
            // first could take everything and leave the victim nothing to lose).
            let gate = victim.flatMap { v in broadcast ? nil : v }
            async let survivors: Void = withTaskGroup(of: Void.self) { g in
                if let gate {
                    let deadline = ContinuousClock.now + .seconds(10)
                    while gate.count == 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(2)) }
                }
                for c in survivorsCS { g.addTask { _ = await c.run(idle: idle) } }
            }
            var victimCount = 0
            var held = 0
            if let victim {
                async let victimRun: [Delivery] = victim.run(idle: .seconds(2), limit: victimLimit, holdAfterLimit: broadcast ? 1 : 5)
                _ = try await publish(messages, to: route, on: producer)
                held = await victimRun.count
                try? await brokers[0].close()  // its connection drops: consumers cancelled, nothing acknowledged
                victimCount = victim.count
            } else if let child = victimChild {
                _ = try await publish(messages, to: route, on: producer)
                let lines = await child.readUntil(timeout: .seconds(30)) { $0.contains("HOLDING") }
                await child.kill()
                victimCount = lines.filter { $0.hasPrefix("GOT ") }.count
                held = -1
            }
            say("   \(broadcast ? "broadcast" : "queue"): consumer 0 \(victimChild == nil ? "crashed" : "was killed (SIGKILL)") after \(victimCount) messages")
            await survivors
            let counts = [victimCount] + survivorsCS.map(\.count)
            var r = ScenarioResult(name: "crash", mode: route, consumers: n, sent: messages, received: counts)
            let survivorSeqs = survivorsCS.flatMap { $0.received.map(\.seq) }
            let unique = Set(survivorSeqs).count + victimCount
            if broadcast {
                r.lost = n * messages - r.receivedTotal
                r.duplicates = 0
            } else {
                r.lost = max(0, messages - unique)
                r.duplicates = max(0, r.receivedTotal - messages)
            }
            r.redelivered = survivorsCS.flatMap(\.received).filter(\.redelivered).count
            r.elapsedS = Date().timeIntervalSince(started)
            r.note = victimChild != nil
                ? "consumer 0 was a separate process, killed with SIGKILL after processing \(victimCount)"
                : "consumer 0 died after processing \(victimCount), holding \(held) unacknowledged"
            out.append(r)
            await closeAll(survivorsCS, Array(brokers.dropFirst()))
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
            say("   \(r.mode) (\(variant)): fast \(cs[0].count), slow \(cs[1].count), done in \(Format.fixed(r.elapsedS ?? 0, places: 2))s")
        }
        return out
    }

    /// Broker restart mid-stream (server transports, with `--restart-command`): what survives.
    func restart() async throws -> [ScenarioResult] {
        guard !isMemory, let command = restartCommand else {
            say("   restart: skipped (\(isMemory ? "memory:// has nothing that outlives the process" : "give --restart-command to restart the broker"))")
            return []
        }
        var out: [ScenarioResult] = []
        // Queue: M published while nobody consumes, then the broker restarts.
        let qRoute = route("restart", false)
        try await declare(qRoute)
        let producer = try await connect()
        _ = try await publish(messages, to: qRoute, on: producer)
        try? await producer.close()
        // Broadcast: a live subscriber; half before the restart, half after.
        let bRoute = route("restart", true)
        let (subs, subBrokers) = try await makeConsumers(bRoute, count: 1, prefetch: 64)
        let bProducer = try await connect()
        async let subscriberRun: [Delivery] = subs[0].run(idle: .seconds(8))
        let half = messages / 2
        _ = try await publish(half, to: bRoute, on: bProducer)
        try? await bProducer.close()
        say("   restarting the broker: \(command)")
        let status = try await runShell(command)
        guard status == 0 else { throw CeleryError(.invalidState, "--restart-command exited with \(status)") }
        say("   broker restarted; reconnecting")
        let after = try await reconnecting { try await self.connect() }
        var sentAfter = 0
        for i in half..<messages {
            if (try? await after.publish(try DemoMessage.make(i), to: bRoute)) != nil { sentAfter += 1 }
        }
        say("   published \(sentAfter) after the restart")
        _ = await subscriberRun
        var b = ScenarioResult(name: "restart", mode: bRoute, consumers: 1, sent: messages, received: [subs[0].count])
        b.lost = messages - subs[0].count
        b.note = "\(half) published before the restart, \(sentAfter) after; the subscriber must reconnect and resubscribe"
        out.append(b)
        await closeAll(subs, subBrokers)
        let (qc, qBrokers) = try await makeConsumers(qRoute, count: 1, prefetch: 64)
        _ = await qc[0].run(idle: .seconds(2))
        var q = ScenarioResult(name: "restart", mode: qRoute, consumers: 1, sent: messages, received: [qc[0].count])
        q.lost = messages - qc[0].count
        q.note = "published while nobody consumed, then the broker restarted"
        out.append(q)
        await closeAll(qc, qBrokers)
        try? await after.close()
        say("   broadcast received \(subs[0].count)/\(messages); queue kept \(qc[0].count)/\(messages)")
        return out
    }

    /// Retries an operation while the broker comes back (up to 60 s).
    func reconnecting<T>(_ op: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while true {
            do { return try await op() } catch {
                if ContinuousClock.now >= deadline { throw error }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func runShell(_ command: String) async throws -> Int32 {
        let p = try ChildProcess.shell(command, stdin: .discard, stdout: .discard, stderr: .discard)
        return await p.waitForExit()
    }
}
