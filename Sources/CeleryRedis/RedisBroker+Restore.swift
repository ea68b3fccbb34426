import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RESP

extension RedisBroker {
    /// Seconds since 1970, the score kombu uses in `unacked_index`.
    static var now: String { Format.fixed(Date().timeIntervalSince1970, places: 6) }

    /// The score one microsecond after `score` (a pop's scores are distinct per consumer).
    static func after(_ score: String) -> String { Format.fixed((Double(score) ?? 0) + 0.000_001, places: 6) }

    /// Pushes one unacknowledged message back to its queue (RPUSH: it is delivered next),
    /// marked redelivered, keeping its delivery count. Works on records written by kombu
    /// (`[envelope, exchange, routing_key]`) and by us (`[envelope, "", queue]`). Returns
    /// whether this call restored it (false if it was acked or restored meanwhile).
    @discardableResult
    func restore(tag: String) async throws -> Bool {
        guard let entry = try await pool.send(["HGET", RESPValue(keys.unacked), RESPValue(tag)]).bytes else {
            try await pool.send(["ZREM", RESPValue(keys.unackedIndex), RESPValue(tag)])
            return false
        }
        var payload = entry
        var queue: String?
        var priority: Int?
        if case .array(let parts)? = try? JSONCoding.parse(entry), parts.count >= 3 {
            let exchange = parts[1].stringValue ?? ""
            let routingKey = parts[2].stringValue ?? ""
            switch parts[0] {
            case .string(let raw):  // an undecodable envelope we recorded as a string
                payload = Array(raw.utf8)
            case let envelope:
                let raw = (try? JSONCoding.encode(envelope)) ?? entry
                payload = RedisEnvelope.markedRedelivered(raw) ?? raw
                priority = envelope["properties"]?["priority"]?.intValue.map(Int.init)
            }
            queue = try await lookup(exchange: exchange, routingKey: routingKey)
        } else if let (raw, q) = Self.splitUnparsedRecord(entry) {
            // The pop script records an envelope without decoding it: one that is not valid
            // JSON goes back unchanged (the worker reports it) instead of being dropped.
            payload = raw
            queue = q
        }
        guard let queue else {
            logger.error("cannot restore unacked message \(tag): unreadable record; dropping it from the index")
            try await pool.send(["ZREM", RESPValue(keys.unackedIndex), RESPValue(tag)])
            return false
        }
        let list = RedisEnvelope.listKey(queue: queue, step: RedisEnvelope.priorityStep(priority))
        let r = try await RedisScript.restore.run(
            pool, keys: [keys.unacked, keys.unackedIndex, list],
            args: [RESPValue(tag), RESPValue(bytes: entry), RESPValue(bytes: payload)])
        return r.int == 1
    }

    /// Splits a record `[<envelope>, "", <queue as JSON string>]` whose envelope is not valid
    /// JSON into the envelope's bytes and the queue.
    static func splitUnparsedRecord(_ entry: [UInt8]) -> ([UInt8], String)? {
        let marker = Array(#", "", ""#.utf8)
        guard entry.first == UInt8(ascii: "["), entry.last == UInt8(ascii: "]"), entry.count > marker.count + 2 else { return nil }
        var i = entry.count - marker.count - 1
        while i > 0 {
            if entry[i] == marker[0], Array(entry[i..<(i + marker.count)]) == marker { break }
            i -= 1
        }
        guard i > 0, case .string(let q)? = try? JSONCoding.parse(Array(entry[(i + marker.count - 1)..<(entry.count - 1)])) else {
            return nil
        }
        return (Array(entry[1..<i]), q)
    }

    /// The queue a record's exchange and routing key lead to: the routing key itself for the
    /// default exchange `""`, else the first binding in `_kombu.binding.<exchange>` whose
    /// routing key matches (falling back to the routing key).
    func lookup(exchange: String, routingKey: String) async throws -> String {
        guard !exchange.isEmpty else { return routingKey }
        let members = try await pool.send(["SMEMBERS", RESPValue(RedisKeys.binding(exchange: exchange))]).array ?? []
        for m in members {
            let parts = (m.string ?? "").components(separatedBy: "\u{06}\u{16}")
            if parts.count == 3, parts[0] == routingKey || parts[0].isEmpty { return parts[2] }
        }
        return routingKey
    }

    /// Expiry of our hold on `unacked_mutex`, so a restorer killed mid-restore blocks the
    /// others for at most this long (kombu uses 300 s; a restore of 1000 tags takes well
    /// under a second).
    static let mutexExpirySeconds = 60

    /// Restores messages unacknowledged for longer than ``visibilityTimeout`` (oldest first,
    /// up to `limit`), under kombu's `unacked_mutex` lock so concurrent restorers (ours or
    /// kombu's) do not push a message twice. Returns how many were restored.
    @discardableResult
    public func restoreVisible(limit: Int = 1000) async throws -> Int {
        try await mappingErrors("restoring unacked messages", displayURL) {
            let token = UUID().uuidString
            let locked = try await pool.send(["SET", RESPValue(keys.unackedMutex), RESPValue(token), "NX", "EX", RESPValue(Self.mutexExpirySeconds)])
            guard !locked.isNull else { return 0 }
            do {
                let ceiling = Date().timeIntervalSince1970 - Double(visibilityTimeout.components.seconds)
                    - Double(visibilityTimeout.components.attoseconds) / 1e18
                let tags = try await pool.send([
                    "ZRANGEBYSCORE", RESPValue(keys.unackedIndex), "-inf", RESPValue(Format.fixed(ceiling, places: 6)),
                    "LIMIT", "0", RESPValue(limit),
                ]).array ?? []
                var n = 0
                for t in tags {
                    guard let tag = t.string else { continue }
                    if try await restore(tag: tag) {
                        n += 1
                        logger.warning("restored message \(tag) unacknowledged for longer than the visibility timeout \(visibilityTimeout)")
                    }
                }
                _ = try await RedisScript.unlock.run(pool, keys: [keys.unackedMutex], args: [RESPValue(token)])
                return n
            } catch {
                _ = try? await RedisScript.unlock.run(pool, keys: [keys.unackedMutex], args: [RESPValue(token)])
                throw error
            }
        }
    }
}
