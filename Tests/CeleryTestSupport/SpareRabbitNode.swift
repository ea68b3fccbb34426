import AMQP091
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A RabbitMQ node of the test's own (scripts/services/rabbitmq.sh `rabbitmq__boot` in a
/// private directory), for faults that would disturb other tests on the shared node:
/// `kill -9` and restart on the same data. Port: `CELERY_TEST_AMQP_SPARE_PORT`, else the
/// shared node's port + 20 (it also takes +1 for TLS, +10000 for epmd and +20000 for
/// distribution, as the script does).
public final class SpareRabbitNode: Sendable {
    /// Its AMQP port on 127.0.0.1.
    public let port: Int
    /// Its private directory (data, logs, pid file).
    public let directory: String
    /// `amqp://guest:guest@127.0.0.1:<port>/`.
    public var url: String { "amqp://guest:guest@127.0.0.1:\(port)/" }
    private let script: String

    /// A node whose port derives from the shared node's URL (not started yet).
    public init(basedOn sharedURL: String) throws {
        let env = ProcessInfo.processInfo.environment
        if let p = env["CELERY_TEST_AMQP_SPARE_PORT"].flatMap(Int.init) {
            port = p
        } else {
            port = (URL(string: sharedURL)?.port ?? 25672) + 20
        }
        directory = (env["RUN_DIR"] ?? NSTemporaryDirectory()) + "/swift-celery-spare-rabbit-\(port)-\(UUID().uuidString.prefix(6))"
        script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/services/rabbitmq.sh").path
    }

    private func shell(_ body: String) -> Int32 {
        // Plain system(3): Foundation's Process does not reap the shell here.
        system("RABBITMQ_PORT=\(port) RABBITMQ_TEST_DIR='\(directory)' bash -c \"source '\(script)' && rabbitmq__vars && \(body)\" </dev/null >>'\(directory).log' 2>&1")
    }

    /// Boots the node (same data directory every time) and returns once it answers AMQP.
    /// The script's boot (which waits for the node by probing) runs to its end on a thread of
    /// its own, so no probe of it is left running (each probe is an Erlang VM that would start
    /// an epmd again after ``stop()``).
    public func start(timeout: Duration = .seconds(120)) async throws {
        let booted: Int32 = await withCheckedContinuation { c in
            Thread { c.resume(returning: self.shell("rabbitmq__boot")) }.start()
        }
        guard booted == 0 else {
            throw AMQPError(.connectFailed, "spare RabbitMQ node on port \(port) did not start (status \(booted)); see \(directory).log")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var config = try AMQPConfiguration(url: url)
        config.connectTimeout = .seconds(2)
        while clock.now < deadline {
            if let c = try? await AMQPConnection.connect(config) {
                try? await c.close()
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AMQPError(.timeout, "spare RabbitMQ node on port \(port) did not answer within \(timeout); see \(directory).log")
    }

    private var beamPid: pid_t? {
        (try? String(contentsOfFile: directory + "/rabbitmq.pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `kill -9` of the node's VM; returns once it is gone.
    public func kill9() throws {
        guard let pid = beamPid else { throw AMQPError(.invalidState, "spare node has no pid file in \(directory)") }
        kill(pid, SIGKILL)
        for _ in 0..<200 where kill(pid, 0) == 0 { usleep(20_000) }
        unlink(directory + "/rabbitmq.pid")
    }

    /// Stops the node (SIGTERM, then SIGKILL after 20 s) and its epmd.
    public func stop() async throws {
        if let pid = beamPid {
            kill(pid, SIGTERM)
            var waited = 0
            while kill(pid, 0) == 0, waited < 400 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        destroy()
    }

    /// Kills whatever is left (the VM, then the epmd it started) and removes the directory.
    public func destroy() {
        if let pid = beamPid, kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        _ = shell("rabbitmq__env epmd -port \\\"\\$RABBITMQ_TEST_EPMD_PORT\\\" -kill >/dev/null 2>&1 || true")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
