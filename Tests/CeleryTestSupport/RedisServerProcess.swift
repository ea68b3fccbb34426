import Foundation
import RESP

#if canImport(Glibc)
import Glibc
#endif

/// A private `redis-server` the test owns, with an append-only file fsynced on every write
/// (`appendfsync always`), so that `kill -9` and a restart lose nothing the server
/// acknowledged. Readiness is probed with `PING` (a reloading server answers `LOADING`).
public final class RedisServerProcess: Sendable {
    /// Its port on 127.0.0.1.
    public let port: Int
    /// Its data directory (append-only file, log, pid file).
    public let dir: URL
    private let pidFile: URL

    /// `redis://127.0.0.1:<port>/0`.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    private init(port: Int, dir: URL) {
        self.port = port
        self.dir = dir
        self.pidFile = dir.appendingPathComponent("redis.pid")
    }

    /// Starts one on a free port.
    public static func start() async throws -> RedisServerProcess {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("celery-fault-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let s = RedisServerProcess(port: try freePort(), dir: dir)
        try await s.launch()
        return s
    }

    /// Starts (again) on the same port and directory; returns once it answers `PONG`.
    public func launch() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "redis-server", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "yes",
            "--appendfsync", "always", "--dir", dir.path, "--daemonize", "yes", "--pidfile", pidFile.path,
            "--logfile", dir.appendingPathComponent("log").path,
        ]
        // Not waitUntilExit(): the daemonizing parent's exit is not always noticed from a
        // test thread; readiness is probed instead.
        try p.run()
        try await waitUntil(within: .seconds(20)) { await self.answers() }
    }

    /// `kill -9`; returns once the port refuses connections.
    public func kill9() async throws {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw RESPError(.connection, "no pid file for the test redis-server on \(port)")
        }
        kill(pid, SIGKILL)
        try await waitUntil(within: .seconds(10)) { !(await self.accepts()) }
        try? FileManager.default.removeItem(at: pidFile)
    }

    /// Stops it for good and removes its directory.
    public func stop() async {
        if let c = try? await RedisConnection.connect(RedisConfiguration(port: port)) {
            _ = try? await c.send(["SHUTDOWN", "NOSAVE"])
            await c.close()
        }
        _ = try? await waitUntil(within: .seconds(10)) { !(await self.accepts()) }
        try? FileManager.default.removeItem(at: dir)
    }

    private func answers() async -> Bool {
        guard let c = try? await RedisConnection.connect(RedisConfiguration(port: port, connectTimeout: .seconds(1))) else { return false }
        defer { Task { await c.close() } }
        return (try? await c.send(["PING"]))?.string == "PONG"
    }

    private func accepts() async -> Bool {
        guard let c = try? await RedisConnection.connect(RedisConfiguration(port: port, connectTimeout: .seconds(1))) else { return false }
        await c.close()
        return true
    }

    /// A port the kernel just handed out (bound to 0 and released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RESPError(.connection, "socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw RESPError(.connection, "bind() failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
