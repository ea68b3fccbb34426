import CeleryTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RESP

/// The Sentinel set-up `scripts/services/redis-sentinel.sh` started (`CELERY_TEST_SENTINEL_URLS`;
/// unset with `CI` set → the test fails), and the script's kill / revive / wait-healthy commands.
enum TestSentinel {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "CELERY_TEST_SENTINEL_URLS is not set but CI is: start scripts/services/redis-sentinel.sh" }
    }

    struct ScriptFailed: Error, CustomStringConvertible { var description: String }

    static var env: [String: String] { ProcessInfo.processInfo.environment }

    /// `sentinel://…;sentinel://…?master_name=…`, or nil (skipped) outside CI.
    static func urls() throws -> String? {
        if let u = env["CELERY_TEST_SENTINEL_URLS"], !u.isEmpty { return u }
        if env["CI"] != nil { throw Missing() }
        print("note: CELERY_TEST_SENTINEL_URLS unset; Sentinel test skipped")
        return nil
    }

    static var masterName: String { env["REDIS_SENTINEL_MASTER_NAME"] ?? "mymaster" }

    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Runs `scripts/services/redis-sentinel.sh <args>`; returns its standard output.
    ///
    /// Through `system()` on a thread of its own: `Process.waitUntilExit()` does not always
    /// notice the exit of a script that started a daemonizing redis-server, and a blocking
    /// wait must not hold one of the few cooperative threads.
    @discardableResult
    static func script(_ args: String...) async throws -> String {
        let out = NSTemporaryDirectory() + "sentinel-script-\(UUID().uuidString.prefix(8)).out"
        let command = "/bin/bash '\(root)/scripts/services/redis-sentinel.sh' \(args.map { "'\($0)'" }.joined(separator: " ")) >'\(out)' </dev/null"
        let status: Int32 = await withCheckedContinuation { c in
            Thread { c.resume(returning: system(command)) }.start()
        }
        let text = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        try? FileManager.default.removeItem(atPath: out)
        guard status == 0 else {
            throw ScriptFailed(description: "redis-sentinel.sh \(args.joined(separator: " ")) exited \(status): \(text)")
        }
        return text
    }

    /// The sentinels' ports, from the URL list.
    static func sentinelPorts() throws -> [Int] {
        guard let u = try urls() else { return [] }
        return u.split(separator: ";").compactMap { e in
            let hostPort = e.dropFirst("sentinel://".count).prefix { $0 != "/" && $0 != "?" }
            return hostPort.split(separator: ":").last.flatMap { Int($0) }
        }
    }

    /// The master's port as the first answering sentinel names it.
    static func masterPort() async throws -> Int? {
        for port in try sentinelPorts() {
            guard let c = try? await RedisConnection.connect(RedisConfiguration(port: port, connectTimeout: .seconds(1))) else { continue }
            let r = try? await c.send(["SENTINEL", "get-master-addr-by-name", RESPValue(masterName)])
            await c.close()
            if let p = r?.array?.last?.string.flatMap({ Int($0) }) { return p }
        }
        return nil
    }

    /// The two data servers' ports (master and replica, in either role).
    static func dataPorts() throws -> [Int] {
        guard let b = env["REDIS_SENTINEL_BASE_PORT"].flatMap({ Int($0) }) else { throw Missing() }
        return [b, b + 1]
    }

    /// One command on a data server, by port.
    static func send(_ port: Int, _ command: [RESPValue]) async throws -> RESPValue {
        let c = try await RedisConnection.connect(RedisConfiguration(port: port, connectTimeout: .seconds(1)))
        defer { Task { await c.close() } }
        return try await c.send(command)
    }
}
