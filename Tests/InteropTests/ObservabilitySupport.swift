import CeleryTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RESP

/// Helpers of the observability tests: HTTP scrapes and Redis counts.
enum Observe {
    /// `GET` (or another method) on a local URL; returns status and body.
    static func http(_ url: String, method: String = "GET") async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of one sample line (`name{labels} value`) of Prometheus text, if present.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Messages of `queue` in Redis: waiting in its list, and recorded in `unacked` (held by a
    /// consumer, or left for the visibility restore).
    static func redisCounts(_ url: String, queue: String) async throws -> (waiting: Int, unacked: Int) {
        let c = try await RedisConnection.connect(RedisConfiguration(url: url))
        defer { Task { await c.close() } }
        let waiting = Int(try await c.send("LLEN", queue).int ?? -1)
        let entries = try await c.send("HVALS", "unacked").array ?? []
        let unacked = entries.filter { ($0.string ?? "").contains("\"\(queue)\"") }.count
        return (waiting, unacked)
    }

    /// Waits for a child to exit by itself (no signal sent); SIGKILL and -1 after `within`.
    static func exitStatus(of child: Child, within timeout: Duration) async -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while child.process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if child.process.isRunning {
            child.killNow()
            return -1
        }
        return child.process.terminationStatus
    }

    /// Waits until `condition` holds (checked every 50 ms) or `timeout` passes.
    static func eventually(_ timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
