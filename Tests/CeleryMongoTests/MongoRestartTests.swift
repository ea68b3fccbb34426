import Celery
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import CeleryMongo

/// The result server is killed (`kill -9`) and started again while a worker drains: result
/// writes fail, the worker retries them, and every task ends SUCCESS in MongoDB.
///
/// The server is a private nx-27017 on a file database (`--db FILE`): the shared test
/// server runs `--db memory`, which loses everything on restart (a real `mongod` keeps its
/// data on disk). Port: `CELERY_TEST_MONGO_SPARE_PORT`, else the shared server's + 1.
@Suite("MongoDB restart")
struct MongoRestartTests {
    @Test func serverKilledMidDrainLosesNoResult() async throws {
        guard let shared = MongoTestServer.url(), let base = URL(string: shared)?.port else { return }
        let env = ProcessInfo.processInfo.environment
        let port = env["CELERY_TEST_MONGO_SPARE_PORT"].flatMap(Int.init) ?? base + 1
        let server = try SpareMongoServer(port: port)
        defer { server.destroy() }
        try await server.start()

        let backend = try MongoResultBackend(
            url: "mongodb://127.0.0.1:\(port)/celery_restart?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000",
            options: MongoBackendOptions(serverSelectionTimeout: .seconds(1)))
        let app = Celery(name: "mongo-restart", broker: InMemoryBroker(name: "mr-\(UUID().uuidString)"), backend: backend)
        let runs = Mutex(0)
        app.task("tasks.nap") { (_: TaskContext, n: Int64) in
            runs.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(5))
            return n
        }
        let total = 300
        var ids: [String] = []
        for i in 0..<total { ids.append(try await app.send(task: "tasks.nap", args: [.int(Int64(i))]).id) }
        let worker = Worker(app: app, options: WorkerOptions(concurrency: 8, hostname: "mongo-restart@test", sendEvents: false))
        let running = Task { try await worker.run() }
        await worker.waitUntilStarted()

        let clock = ContinuousClock()
        var deadline = clock.now + .seconds(20)
        while runs.withLock({ $0 }) < total / 4, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try server.kill9()
        let killedAt = clock.now
        try await Task.sleep(for: .milliseconds(500))
        try await server.start()
        let answeredAt = clock.now
        func stored() async -> Int {
            var n = 0
            for id in ids where (try? await backend.meta(for: id))?.status == .success { n += 1 }
            return n
        }
        deadline = clock.now + .seconds(40)
        var n = 0
        while clock.now < deadline {
            n = await stored()
            if n == total { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        print("MongoDB kill -9 mid-drain: down \(answeredAt - killedAt); all \(n)/\(total) stored \(clock.now - answeredAt) after it answered; lost \(total - n)")
        #expect(n == total, "lost \(total - n) of \(total) results")
        worker.shutdown()
        try? await running.value
        try? await backend.close()
        try await server.stop()
    }
}

/// A private nx-27017 on a file database in a temporary directory.
final class SpareMongoServer: Sendable {
    let port: Int
    let directory: String
    private let executable: String

    init(port: Int) throws {
        self.port = port
        let env = ProcessInfo.processInfo.environment
        directory = (env["RUN_DIR"] ?? NSTemporaryDirectory()) + "/swift-celery-spare-mongo-\(port)-\(UUID().uuidString.prefix(6))"
        executable = (env["CELERY_VENV"] ?? FileManager.default.currentDirectoryPath + "/.venv") + "/bin/nx-27017"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private var pid: pid_t? {
        (try? String(contentsOfFile: directory + "/server.pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Starts the server on the same database file; returns once it accepts TCP connections.
    func start() async throws {
        let d = directory
        let status = system(
            "nohup '\(executable)' --db '\(d)/results.db' --host 127.0.0.1 -p \(port) --log-file '\(d)/nx.log' --pid-file '\(d)/nx.pid' "
                + ">>'\(d)/stdout.log' 2>&1 </dev/null & echo $! > '\(d)/server.pid'")
        guard status == 0 else { throw CeleryError(.connection, "cannot start \(executable)") }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline {
            if Self.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CeleryError(.timeout, "nx-27017 on port \(port) did not start; see \(d)/stdout.log")
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// `kill -9`; returns once the process is gone.
    func kill9() throws {
        guard let pid else { throw CeleryError(.invalidState, "spare nx-27017 has no pid") }
        kill(pid, SIGKILL)
        for _ in 0..<250 where kill(pid, 0) == 0 { usleep(20_000) }
        // Reap it if it is our child (it is not when started through the shell's &).
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    func stop() async throws {
        if let pid, kill(pid, 0) == 0 {
            kill(pid, SIGTERM)
            for _ in 0..<100 where kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        destroy()
    }

    func destroy() {
        if let pid, kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
