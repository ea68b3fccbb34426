#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

extension Worker {
    /// Handles a remote-control command from the `celery.pidbox` broadcast channel
    /// (Celery's format: `{"method", "arguments", "destination", "reply_to", "ticket"}`).
    /// Malformed commands are logged and ignored.
    func handleControl(_ d: Delivery) async {
        guard case .object(let cmd)? = try? JSONCoding.parse(d.message.body), let method = cmd["method"]?.stringValue else {
            logger.warning("ignored malformed control message")
            return
        }
        if case .array(let dest)? = cmd["destination"], !dest.contains(.string(options.hostname)) { return }
        if let expires = d.message.headers["expires"]?.doubleValue, expires < Date().timeIntervalSince1970 {
            logger.debug("ignored expired control command \(method)")
            return
        }
        let args = cmd["arguments"]?.objectValue ?? [:]
        let reply: JSONValue
        if let command = RemoteControlMethod(rawValue: method) {
            reply = await perform(command, arguments: args)
        } else {
            reply = ["error": .string("unknown command '\(method)'")]
        }
        guard case .object(let to)? = cmd["reply_to"], let key = to["routing_key"]?.stringValue else { return }
        let exchange = to["exchange"]?.stringValue ?? "reply.celery.pidbox"
        let body = JSONValue.object([options.hostname: reply])
        var headers: [String: JSONValue] = [:]
        if let ticket = cmd["ticket"] { headers["ticket"] = ticket }
        let msg = BrokerMessage(body: (try? JSONCoding.encode(body)) ?? [], headers: headers, correlationId: cmd["ticket"]?.stringValue, deliveryMode: 1)
        do { _ = try await app.broker.publish(msg, to: .queue("\(key).\(exchange)")) } catch {
            logger.warning("could not send control reply: \(error)")
        }
    }

    /// Runs one command of the registry and returns the reply sent to the caller.
    func perform(_ command: RemoteControlMethod, arguments args: [String: JSONValue]) async -> JSONValue {
        switch command {
        case .revoke:
            var ids: [String] = []
            switch args["task_id"] {
            case .string(let s)?: ids = [s]
            case .array(let a)?: ids = a.compactMap(\.stringValue)
            default: break
            }
            let terminate = args["terminate"]?.boolValue ?? false
            for id in ids {
                revoke(id, terminate: terminate)
                await releaseScheduled(id)
            }
            logger.info("revoked \(ids.joined(separator: ", "))\(terminate ? " (terminate)" : "")")
            return ["ok": .string("tasks \(ids.joined(separator: ", ")) flagged as revoked")]
        case .ping:
            return ["ok": "pong"]
        case .shutdown:
            logger.warning("shutdown requested by remote control")
            shutdown()
            return ["ok": "shutting down"]
        case .addConsumer:
            guard let q = args["queue"]?.stringValue, !q.isEmpty else { return ["error": "add_consumer needs a 'queue' argument"] }
            do {
                try await startConsuming(.queue(q))
                return ["ok": .string("add consumer \(q)")]
            } catch { return ["error": .string("could not consume \(q): \(error)")] }
        case .cancelConsumer:
            guard let q = args["queue"]?.stringValue else { return ["error": "cancel_consumer needs a 'queue' argument"] }
            await stopConsuming(.queue(q))
            return ["ok": .string("no longer consuming from \(q)")]
        case .rateLimit:
            guard let name = args["task_name"]?.stringValue, let spec = args["rate_limit"] else {
                return ["error": "rate_limit needs 'task_name' and 'rate_limit'"]
            }
            guard let perSecond = RateLimitSpec.perSecond(spec) else {
                return ["error": .string("invalid rate limit \(spec) (use N, N/s, N/m or N/h)")]
            }
            setRateLimit(name, perSecond: perSecond == 0 ? nil : perSecond)
            return ["ok": .string("new rate limit set successfully")]
        case .poolGrow, .poolShrink:
            let n = Int(args["n"]?.intValue ?? 1)
            guard n > 0 else { return ["error": .string("\(command.rawValue): n must be positive")] }
            return command == .poolGrow ? growPool(by: n) : shrinkPool(by: n)
        case .active, .scheduled, .reserved, .registered, .revoked, .stats, .activeQueues, .conf:
            return inspectionReply(command)
        }
    }

    /// A revoked task that waits for its ETA is released at once: it goes to the execution
    /// buffer, where the revoked check stores REVOKED, sends `task-revoked` and acks it.
    func releaseScheduled(_ id: String) async {
        let entries = state.withLock { s -> [Incoming] in
            let tokens = s.scheduled.filter { $0.value.info.id == id }.map(\.key)
            return tokens.compactMap { t in
                guard let e = s.scheduled.removeValue(forKey: t) else { return nil }
                e.timer?.cancel()
                return e.incoming
            }
        }
        for inc in entries {
            await inc.consumer.adjustPrefetch(by: -1)
            if !buffer.push(inc) {
                metrics.prefetched.decrement()
                await settle(inc.delivery, .notStarted, acksLate: true, log: logger)
            }
        }
    }

    /// Replies to inspection commands.
    func inspectionReply(_ command: RemoteControlMethod) -> JSONValue {
        func taskList(_ items: [(String, String, [JSONValue], [String: JSONValue], Date?)]) -> JSONValue {
            .array(items.map { id, name, args, kwargs, start in
                [
                    "id": .string(id), "name": .string(name), "args": .array(args), "kwargs": .object(kwargs),
                    "hostname": .string(options.hostname), "time_start": start.map { .double($0.timeIntervalSince1970) } ?? .null,
                ]
            })
        }
        switch command {
        case .active:
            return taskList(activeTasks.map { ($0.id, $0.name, $0.args, $0.kwargs, $0.startedAt) })
        case .scheduled:
            return .array(scheduledTasks.map {
                ["eta": .string(CeleryDate.format($0.eta)), "priority": 6, "request": ["id": .string($0.id), "name": .string($0.name)]]
            })
        case .reserved:
            return .array(reservedTasks.map { ["id": .string($0.id), "name": .string($0.name), "hostname": .string(options.hostname)] })
        case .registered:
            return .array(app.registeredTaskNames.map(JSONValue.string))
        case .revoked:
            return .array(revokedIds.map(JSONValue.string))
        case .stats:
            let s = stats
            return [
                "total": .object(s.total.mapValues { .int(Int64($0)) }),
                "pid": .int(Int64(ProcessInfo.processInfo.processIdentifier)),
                "pool": ["max-concurrency": .int(Int64(poolSize))],
                "prefetch_count": .int(Int64(options.prefetch)),
                "broker": ["transport": .string(app.broker.displayURL)],
            ]
        case .activeQueues:
            let routes = consumedRoutes.filter { $0 != .broadcast(ControlMessage.exchange) }.sorted { $0.description < $1.description }
            return .array(routes.map { ($0.name, $0.isBroadcast ? "fanout" : "direct") }.map {
                ["name": .string($0.0), "exchange": ["name": .string($0.0), "type": .string($0.1)], "routing_key": .string($0.0)]
            })
        case .conf:
            return configurationReply()
        default:
            return ["error": .string("'\(command.rawValue)' is not an inspection")]
        }
    }

    /// The worker's settings under Celery's setting names (what Flower's config tab shows);
    /// URLs are the masked display forms.
    func configurationReply() -> JSONValue {
        var o: [String: JSONValue] = [
            "broker_url": .string(app.broker.displayURL),
            "result_backend": app.backend.map { .string($0.displayURL) } ?? .null,
            "worker_concurrency": .int(Int64(poolSize)),
            "worker_prefetch_multiplier": .int(Int64(options.prefetchMultiplier)),
            "task_acks_late": .bool(options.acksLate),
            "worker_send_task_events": .bool(options.sendEvents),
            "worker_enable_remote_control": .bool(options.enableControl),
            "worker_max_deliveries": .int(Int64(options.maxDeliveries)),
            "worker_revokes_max": .int(Int64(options.maxRevoked)),
            "worker_shutdown_timeout": .double(options.shutdownTimeout.seconds),
            "event_heartbeat_interval": .double(options.heartbeatInterval.seconds),
            "task_queues": .array(options.queues.map(JSONValue.string)),
            "broadcast_queues": .array(options.broadcasts.map(JSONValue.string)),
            "task_default_queue": .string(app.configuration.defaultRoute.name),
            "result_extended": .bool(app.configuration.resultExtended),
            "include": .array(app.registeredTaskNames.map(JSONValue.string)),
        ]
        if let soft = options.softTimeLimit { o["task_soft_time_limit"] = .double(soft.seconds) }
        if let hard = options.hardTimeLimit { o["task_time_limit"] = .double(hard.seconds) }
        return .object(o)
    }
}

/// Celery rate-limit strings: `10`, `10/s`, `100/m`, `1000/h` (per second, minute, hour).
enum RateLimitSpec {
    static func perSecond(_ v: JSONValue) -> Double? {
        if let d = v.doubleValue { return d >= 0 ? d : nil }
        guard let s = v.stringValue else { return v.isNull ? 0 : nil }
        let parts = s.split(separator: "/")
        guard let n = Double(parts.first ?? ""), n >= 0 else { return nil }
        guard parts.count == 2 else { return parts.count == 1 ? n : nil }
        switch parts[1] {
        case "s": return n
        case "m": return n / 60
        case "h": return n / 3600
        default: return nil
        }
    }
}
