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
        let reply: JSONValue?
        switch method {
        case "revoke":
            var ids: [String] = []
            switch args["task_id"] {
            case .string(let s)?: ids = [s]
            case .array(let a)?: ids = a.compactMap(\.stringValue)
            default: break
            }
            let terminate = args["terminate"]?.boolValue ?? false
            for id in ids { revoke(id, terminate: terminate) }
            logger.info("revoked \(ids.joined(separator: ", "))\(terminate ? " (terminate)" : "")")
            reply = ["ok": .string("tasks \(ids.joined(separator: ", ")) flagged as revoked")]
        case "ping":
            reply = ["ok": "pong"]
        case "shutdown":
            logger.warning("shutdown requested by remote control")
            shutdown()
            reply = ["ok": "shutting down"]
        case "add_consumer":
            if let q = args["queue"]?.stringValue, !q.isEmpty {
                do {
                    try await startConsuming(.queue(q))
                    reply = ["ok": .string("add consumer \(q)")]
                } catch { reply = ["error": .string("could not consume \(q): \(error)")] }
            } else { reply = ["error": "add_consumer needs a 'queue' argument"] }
        case "cancel_consumer":
            if let q = args["queue"]?.stringValue {
                await stopConsuming(.queue(q))
                reply = ["ok": .string("no longer consuming from \(q)")]
            } else { reply = ["error": "cancel_consumer needs a 'queue' argument"] }
        case "rate_limit":
            if let name = args["task_name"]?.stringValue, let spec = args["rate_limit"] {
                if let perSecond = RateLimitSpec.perSecond(spec) {
                    setRateLimit(name, perSecond: perSecond == 0 ? nil : perSecond)
                    reply = ["ok": .string("new rate limit set successfully")]
                } else { reply = ["error": .string("invalid rate limit \(spec) (use N, N/s, N/m or N/h)")] }
            } else { reply = ["error": "rate_limit needs 'task_name' and 'rate_limit'"] }
        default:
            reply = controlReply(method: method, arguments: args)
        }
        guard let reply, case .object(let to)? = cmd["reply_to"], let key = to["routing_key"]?.stringValue else { return }
        let exchange = to["exchange"]?.stringValue ?? "reply.celery.pidbox"
        let body = JSONValue.object([options.hostname: reply])
        var headers: [String: JSONValue] = [:]
        if let ticket = cmd["ticket"] { headers["ticket"] = ticket }
        let msg = BrokerMessage(body: (try? JSONCoding.encode(body)) ?? [], headers: headers, correlationId: cmd["ticket"]?.stringValue, deliveryMode: 1)
        do { _ = try await app.broker.publish(msg, to: .queue("\(key).\(exchange)")) } catch {
            logger.warning("could not send control reply: \(error)")
        }
    }

    /// Replies to inspection commands; `nil` for unknown ones.
    func controlReply(method: String, arguments: [String: JSONValue]) -> JSONValue? {
        func taskList(_ items: [(String, String, [JSONValue], [String: JSONValue], Date?)]) -> JSONValue {
            .array(items.map { id, name, args, kwargs, start in
                [
                    "id": .string(id), "name": .string(name), "args": .array(args), "kwargs": .object(kwargs),
                    "hostname": .string(options.hostname), "time_start": start.map { .double($0.timeIntervalSince1970) } ?? .null,
                ]
            })
        }
        switch method {
        case "active":
            return taskList(activeTasks.map { ($0.id, $0.name, $0.args, $0.kwargs, $0.startedAt) })
        case "scheduled":
            return .array(scheduledTasks.map {
                ["eta": .string(CeleryDate.format($0.eta)), "priority": 6, "request": ["id": .string($0.id), "name": .string($0.name)]]
            })
        case "reserved":
            return .array(reservedTasks.map { ["id": .string($0.id), "name": .string($0.name), "hostname": .string(options.hostname)] })
        case "registered":
            return .array(app.registeredTaskNames.map(JSONValue.string))
        case "revoked":
            return .array(revokedIds.map(JSONValue.string))
        case "stats":
            let s = stats
            return [
                "total": .object(s.total.mapValues { .int(Int64($0)) }),
                "pid": .int(Int64(ProcessInfo.processInfo.processIdentifier)),
                "pool": ["max-concurrency": .int(Int64(options.concurrency))],
                "prefetch_count": .int(Int64(options.prefetch)),
                "broker": ["transport": .string(app.broker.displayURL)],
            ]
        case "active_queues":
            let routes = consumedRoutes.filter { $0 != .broadcast(ControlMessage.exchange) }.sorted { $0.description < $1.description }
            return .array(routes.map { ($0.name, $0.isBroadcast ? "fanout" : "direct") }.map {
                ["name": .string($0.0), "exchange": ["name": .string($0.0), "type": .string($0.1)], "routing_key": .string($0.0)]
            })
        default:
            return ["error": .string("unknown command '\(method)'")]
        }
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
