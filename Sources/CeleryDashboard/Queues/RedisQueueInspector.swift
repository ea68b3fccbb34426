import Celery
import CeleryRedis
import Foundation
import RESP
import Synchronization

/// Queues on Redis, read the way kombu lays them out: `_kombu.binding.*` sets name every
/// queue, each queue is up to four lists (priority steps 0, 3, 6, 9), `unacked` holds
/// delivered messages, `<queue>.dead_letter` our dead letters. Consumers `BRPOP` from the
/// tail, so the tail is the oldest waiting message.
///
/// Queue latency is the age of that oldest message: from its `timestamp` (header or
/// property) when the producer set one, from its ETA when it became due, otherwise from
/// when this dashboard first saw it waiting (a lower bound, exact to the refresh interval
/// once the dashboard has been running longer than the message waited).
final class RedisQueueInspector: QueueInspector {
    /// Exchanges whose bindings are not task queues (remote control, events).
    static let internalExchanges: Set<String> = ["celery.pidbox", "reply.celery.pidbox", "celeryev"]
    /// Priority steps and their bands.
    static let steps: [(Int, String)] = [(0, "0-2"), (3, "3-5"), (6, "6-8"), (9, "9")]
    /// Most `unacked` entries read to split the unacked count by queue.
    static let unackedScanLimit = 10_000

    let pool: RedisConnectionPool
    private let ages = MessageAgeTracker()

    init(url: String) throws {
        let config = try RedisConfiguration(url: url)
        pool = RedisConnectionPool(configuration: config, maxConnections: 2)
    }

    var note: String {
        "Every queue named by a kombu binding is listed (also those no worker consumes). Latency is the age of the oldest waiting message (its ETA or timestamp when set, else since this dashboard first saw it)."
    }

    static func listKey(_ queue: String, step: Int) -> String { step == 0 ? queue : "\(queue)\u{06}\u{16}\(step)" }

    /// Queue names from every `_kombu.binding.<exchange>` set (control and event exchanges left out).
    func boundQueues() async throws -> Set<String> {
        var cursor = "0"
        var keys: [String] = []
        repeat {
            let r = try await pool.send(["SCAN", RESPValue(cursor), "MATCH", "_kombu.binding.*", "COUNT", "500"])
            guard let parts = r.array, parts.count == 2 else { break }
            cursor = parts[0].string ?? "0"
            keys += (parts[1].array ?? []).compactMap(\.string)
        } while cursor != "0" && keys.count < 10_000
        var names = Set<String>()
        for key in keys {
            let exchange = String(key.dropFirst("_kombu.binding.".count))
            if Self.internalExchanges.contains(exchange) || exchange.hasSuffix(".pidbox") { continue }
            let members = try await pool.send(["SMEMBERS", RESPValue(key)])
            for m in members.array ?? [] {
                guard let s = m.string, let q = s.components(separatedBy: "\u{06}\u{16}").last, !q.isEmpty else { continue }
                names.insert(q)
            }
        }
        return names
    }

    func queues(extra: Set<String>) async throws -> [QueueInfo] {
        let names = try await boundQueues().union(extra).filter { !$0.hasSuffix(".pidbox") && !$0.hasPrefix("celeryev") }.sorted()
        let unackedByQueue = try await unackedCounts()
        let now = Date().timeIntervalSince1970
        var out: [QueueInfo] = []
        var seenTags = Set<String>()
        for q in names {
            var cmds: [[RESPValue]] = []
            for (step, _) in Self.steps {
                cmds.append(["LLEN", RESPValue(Self.listKey(q, step: step))])
                cmds.append(["LINDEX", RESPValue(Self.listKey(q, step: step)), "-1"])
            }
            cmds.append(["LLEN", RESPValue(RedisKeys.deadLetter(queue: q))])
            let r = try await pool.pipeline(cmds)
            var info = QueueInfo(name: q, messages: 0, byPriority: [:], consumedBy: [])
            var oldest: Double?
            for (i, (_, band)) in Self.steps.enumerated() {
                let n = Int(r[2 * i].int ?? 0)
                info.messages += n
                if n > 0 { info.byPriority[band] = n }
                if let raw = r[2 * i + 1].bytes, let age = age(of: raw, now: now, seen: &seenTags) {
                    oldest = max(oldest ?? 0, age)
                }
            }
            info.oldestAge = info.messages > 0 ? (oldest ?? 0) : 0
            info.deadLetters = Int(r.last?.int ?? 0)
            info.unacked = unackedByQueue[q] ?? 0
            out.append(info)
        }
        // Forget messages no longer at a tail (bounded memory).
        ages.forget(except: seenTags)
        return out
    }

    /// Age of one waiting envelope; records when it was first seen.
    private func age(of raw: [UInt8], now: Double, seen: inout Set<String>) -> Double? {
        guard case .object(let env)? = try? JSONCoding.parse(raw) else { return nil }
        let headers = env["headers"]?.objectValue ?? [:]
        let props = env["properties"]?.objectValue ?? [:]
        let tag = props["delivery_tag"]?.stringValue ?? headers["id"]?.stringValue ?? Hex.encode(Array(raw.prefix(64)))
        return ages.age(headers: headers, timestamp: props["timestamp"]?.doubleValue, tag: tag, now: now, seen: &seen)
    }

    /// Unacked deliveries per queue, from the routing key kombu stores with each (`[message, exchange, routing_key]`).
    private func unackedCounts() async throws -> [String: Int] {
        let total = Int(try await pool.send(["HLEN", "unacked"]).int ?? 0)
        guard total > 0, total <= Self.unackedScanLimit else { return [:] }
        let all = try await pool.send(["HVALS", "unacked"])
        var out: [String: Int] = [:]
        for v in all.array ?? [] {
            guard let b = v.bytes, case .array(let a)? = try? JSONCoding.parse(b), a.count >= 3, let rk = a[2].stringValue else { continue }
            out[rk, default: 0] += 1
        }
        return out
    }

    func browse(_ queue: String, offset: Int, limit: Int) async throws -> [WaitingMessage]? {
        // Next to run = highest priority list first (step 0), from its tail.
        var out: [WaitingMessage] = []
        var skip = max(0, offset)
        var position = 0
        for (step, _) in Self.steps where out.count < limit {
            let key = Self.listKey(queue, step: step)
            let len = Int(try await pool.send(["LLEN", RESPValue(key)]).int ?? 0)
            if skip >= len {
                skip -= len
                position += len
                continue
            }
            let want = min(limit - out.count, len - skip)
            // Tail index -1 - skip is the (skip+1)-th next message.
            let start = -(skip + want), end = -(skip + 1)
            let r = try await pool.send(["LRANGE", RESPValue(key), RESPValue(start), RESPValue(end)])
            let items = (r.array ?? []).reversed()
            position += skip
            for item in items {
                out.append(Self.describe(item.bytes ?? [], position: position))
                position += 1
            }
            position += len - skip - want
            skip = 0
        }
        return out
    }

    static func describe(_ raw: [UInt8], position: Int) -> WaitingMessage {
        var m = WaitingMessage(position: position)
        guard case .object(let env)? = try? JSONCoding.parse(raw) else { m.task = "(unreadable message)"; return m }
        let h = env["headers"]?.objectValue ?? [:]
        m.id = h["id"]?.stringValue
        m.task = h["task"]?.stringValue
        m.args = h["argsrepr"]?.stringValue
        m.kwargs = h["kwargsrepr"]?.stringValue
        m.eta = h["eta"]?.stringValue
        m.retries = h["retries"]?.intValue.map(Int.init)
        m.priority = env["properties"]?["priority"]?.intValue.map(Int.init)
        return m
    }

    func deadLetters(_ queue: String, limit: Int) async throws -> [DeadLetter]? {
        let r = try await pool.send(["LRANGE", RESPValue(RedisKeys.deadLetter(queue: queue)), "0", RESPValue(max(0, limit - 1))])
        return (r.array ?? []).enumerated().map { i, v in
            var d = DeadLetter(index: i, reason: "?")
            guard let b = v.bytes, case .object(let o)? = try? JSONCoding.parse(b) else { d.reason = "(unreadable record)"; return d }
            d.reason = o["reason"]?.stringValue ?? "?"
            d.at = o["dead_lettered_at"]?.stringValue
            if let msg = o["message"]?.stringValue {
                let w = Self.describe(Array(msg.utf8), position: 0)
                d.task = w.task
                d.id = w.id
            }
            return d
        }
    }

    /// The raw records to act on: one by index, or all.
    private func records(_ queue: String, index: Int?) async throws -> [[UInt8]] {
        let key = RedisKeys.deadLetter(queue: queue)
        if let index {
            let r = try await pool.send(["LINDEX", RESPValue(key), RESPValue(index)])
            guard let b = r.bytes else { throw DashboardError.notFound("no dead letter #\(index) in \(queue)") }
            return [b]
        }
        return (try await pool.send(["LRANGE", RESPValue(key), "0", "-1"]).array ?? []).compactMap(\.bytes)
    }

    func requeueDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        let key = RedisKeys.deadLetter(queue: queue)
        var n = 0
        for rec in try await records(queue, index: index) {
            guard case .object(let o)? = try? JSONCoding.parse(rec), let msg = o["message"]?.stringValue else { continue }
            // Remove and push back in one transaction, so a record is never both or neither.
            let r = try await pool.pipeline([
                ["MULTI"], ["LREM", RESPValue(key), "1", RESPValue(bytes: rec)], ["RPUSH", RESPValue(queue), RESPValue(msg)], ["EXEC"],
            ])
            if let results = r.last?.array, results.first?.int == 1 { n += 1 }
        }
        return n
    }

    func deleteDeadLetters(_ queue: String, index: Int?) async throws -> Int {
        let key = RedisKeys.deadLetter(queue: queue)
        if index == nil {
            let n = Int(try await pool.send(["LLEN", RESPValue(key)]).int ?? 0)
            _ = try await pool.send(["DEL", RESPValue(key)])
            return n
        }
        var n = 0
        for rec in try await records(queue, index: index) {
            n += Int(try await pool.send(["LREM", RESPValue(key), "1", RESPValue(bytes: rec)]).int ?? 0)
        }
        return n
    }

    func close() async { await pool.close() }
}
