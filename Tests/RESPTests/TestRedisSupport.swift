import CeleryTestSupport
import Foundation
import RESP
import Testing

/// Where the live tests find Redis: `CELERY_TEST_REDIS_URL`. Unset with `CI` set → the test
/// fails; unset otherwise → `nil` (the test returns early with a note).
enum TestRedis {
    /// `CELERY_TEST_REDIS_URL`; unset: a thrown ``MissingServer`` in CI, else `nil` (the test returns early).
    static func url() throws -> String? {
        if LiveServers.inCI { return try LiveServers.required(LiveServers.redisVariable) }
        return LiveServers.redis()
    }

    static func configuration() throws -> RedisConfiguration? {
        try url().map { try RedisConfiguration(url: $0) }
    }

    static func unique(_ prefix: String) -> String { LiveServers.unique(prefix) }

    /// Starts a private daemonized `redis-server` with extra arguments on a free-ish port
    /// and returns the port (an argument `PORT` is replaced by it; a later `--port` wins). Stop it with `SHUTDOWN NOSAVE` (signals are blocked in
    /// processes spawned from test threads, so `terminate()` would not reach it).
    static func startExtraServer(_ args: [String], basePort: Int) throws -> Int {
        let port = basePort + Int.random(in: 200...900)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resp-test-\(port)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let extra = args.map { $0 == "PORT" ? String(port) : $0 }
        p.arguments = [
            "redis-server", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--dir", dir.path, "--daemonize", "yes", "--logfile", dir.appendingPathComponent("log").path,
        ] + extra
        try p.run()
        return port
    }
}
