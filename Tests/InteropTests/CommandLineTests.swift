import CeleryTestSupport
import Celery
import CeleryMongo
import CeleryRedis
import Foundation
import Testing

/// `celery-worker` and `celery-admin` as processes against real Redis and MongoDB.
@Suite(.serialized) struct CommandLineTests {
    var redis: String? { Interop.env["CELERY_TEST_REDIS_URL"] }
    var mongo: String? { Interop.env["CELERY_TEST_MONGO_URL"] }
    var admin: String { Interop.root + "/.build/debug/celery-admin" }

    init() {
        // Also when this suite runs alone (`--filter CommandLineTests`).
        RedisTransport.register()
        MongoBackend.register()
    }

    func worker(_ broker: String, _ backend: String, queue: String, name: String, extra: [String] = []) async throws -> Child {
        let w = try Child(
            Interop.workerBinary, ["--broker", broker, "--result-backend", backend, "-c", "2", "-Q", queue, "-n", name] + extra, name: "cli-worker")
        guard await w.waitFor("worker ready") else {
            await w.stop()
            throw InteropError("worker did not start:\n\(w.output)")
        }
        return w
    }

    func adminRun(_ args: [String], _ broker: String, _ backend: String) async throws -> (Int32, String) {
        try await runCommand(admin, args + ["--broker", broker, "--result-backend", backend], timeout: .seconds(60))
    }

    /// The library needs only FoundationEssentials; the `celery-beat` executable links
    /// FoundationInternationalization for named zones. Without it `TimeZone(identifier:)` knows
    /// only UTC offsets and a schedule in "Asia/Shanghai" would be refused.
    @Test func beatExecutableKnowsNamedTimeZones() async throws {
        let beat = Interop.root + "/.build/debug/celery-beat"
        try #require(FileManager.default.isExecutableFile(atPath: beat), "build celery-beat first")
        let (status, out) = try await runCommand(beat, ["--schedule", Interop.root + "/Examples/beat-schedule.json", "--dry-run", "2"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("(Asia/Shanghai)") && out.contains(" 00:00:00 +08:00"), "\(out)")
    }

    /// `--nio-executor`: the worker runs its tasks on the NIO event loops and still works end to end.
    @Test func workerWithNIOExecutorRunsTasks() async throws {
        guard Interop.available, let redis, let mongo else { return }
        let q = Interop.unique("cli-nio")
        let w = try await worker(redis, mongo, queue: q, name: Interop.unique("cli-nio") + "@test", extra: ["--nio-executor"])
        defer { w.killNow() }
        #expect(w.output.contains("on the NIO event loops"), "\(w.output)")
        for i in 1...3 {
            let (status, out) = try await adminRun(["call", "tasks.add", "--args", "[\(i), 40]", "--queue", q, "--wait", "--json"], redis, mongo)
            #expect(status == 0, "\(out)")
            #expect(out.contains("\"result\" : \(i + 40)") || out.contains("\"result\": \(i + 40)"), "\(out)")
        }
    }

    @Test func adminCallInspectRevokeAgainstAWorkerProcess() async throws {
        guard Interop.available, let redis, let mongo else { return }
        let q = Interop.unique("cli")
        let name = Interop.unique("cli") + "@test"
        let w = try await worker(redis, mongo, queue: q, name: name)
        defer { w.killNow() }

        let (s1, out1) = try await adminRun(["call", "tasks.add", "--args", "[2, 4]", "--queue", q, "--wait", "--json"], redis, mongo)
        #expect(s1 == 0, "\(out1)")
        #expect(out1.contains("\"result\" : 6") || out1.contains("\"result\": 6"), "\(out1)")

        let (s2, out2) = try await adminRun(["inspect", "registered", "--json"], redis, mongo)
        #expect(s2 == 0 && out2.contains("tasks.flaky") && out2.contains(name), "\(out2)")

        // A sleeping task is active, then revoked with terminate.
        let (s3, idOut) = try await adminRun(["call", "tasks.sleep", "--args", "[30]", "--queue", q], redis, mongo)
        #expect(s3 == 0)
        let id = idOut.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? ""
        var active = ""
        for _ in 0..<50 {
            active = try await adminRun(["inspect", "active", "--json"], redis, mongo).1
            if active.contains(id) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(active.contains(id), "active: \(active)")
        let (s4, out4) = try await adminRun(["control", "revoke", id, "--terminate"], redis, mongo)
        #expect(s4 == 0, "\(out4)")
        let (_, res) = try await adminRun(["result", id, "--wait", "--timeout", "10", "--json"], redis, mongo)
        #expect(res.contains("REVOKED"), "\(res)")

        // tasks listing from MongoDB.
        let (s5, list) = try await adminRun(["tasks", "--state", "SUCCESS", "--name", "tasks.add", "--json"], redis, mongo)
        #expect(s5 == 0 && list.contains("tasks.add"), "\(list)")

        // Bad input gets a clear error and a usage exit code.
        let (s6, bad) = try await adminRun(["call", "tasks.add", "--args", "[1, x]"], redis, mongo)
        #expect(s6 == 64 && bad.contains("character 5"), "\(bad)")
        #expect(await w.stop() == 0)
    }

    @Test func sigtermMidTaskNeverLosesIt() async throws {
        guard Interop.available, let redis, let mongo else { return }
        let q = Interop.unique("sigterm")
        let app = try await Celery(name: "cli", broker: redis, backend: mongo)
        // Warm shutdown: the running task finishes.
        let w1 = try await worker(redis, mongo, queue: q, name: Interop.unique("warm") + "@test")
        let r1 = try await app.send(task: "tasks.sleep", args: [1.5], options: CallOptions(route: .queue(q)))
        #expect(try await eventuallyState(r1, .started))
        #expect(await w1.stop() == 0, "\(w1.output)")
        #expect(try await r1.state() == .success, "warm shutdown lets the running task finish:\n\(w1.output)")

        // Cold shutdown (two signals): the task is returned and a new worker runs it.
        let w2 = try await worker(redis, mongo, queue: q, name: Interop.unique("cold") + "@test")
        let r2 = try await app.send(task: "tasks.sleep", args: [3], options: CallOptions(route: .queue(q)))
        #expect(try await eventuallyState(r2, .started))
        w2.process.terminate()
        try await Task.sleep(for: .milliseconds(300))
        w2.process.terminate()
        await w2.stop()
        #expect(w2.output.contains("cold shutdown"), "\(w2.output)")
        let w3 = try await worker(redis, mongo, queue: q, name: Interop.unique("after") + "@test")
        #expect(try await r2.wait(timeout: .seconds(30)).status == .success, "requeued and run again:\n\(w3.output)")
        await w3.stop()
        try await app.close()
    }

    @Test func badFlagsAndUnreachableServersExitWithAReason() async throws {
        guard FileManager.default.isExecutableFile(atPath: Interop.workerBinary) else { return }
        let (s1, o1) = try await runCommand(Interop.workerBinary, ["--broker", "redis://:secret@127.0.0.1:99999/0"])
        #expect(s1 == 64 && o1.contains("invalid port") && !o1.contains("secret"), "\(o1)")
        let (s2, o2) = try await runCommand(Interop.workerBinary, ["--broker", "redis://:secret@127.0.0.1:1/0", "--connect-timeout", "2"], timeout: .seconds(60))
        #expect(s2 == 1 && o2.contains("127.0.0.1:1") && !o2.contains("secret"), "\(o2)")
    }

    func eventuallyState(_ r: AsyncResult<JSONValue>, _ s: TaskState) async throws -> Bool {
        for _ in 0..<100 {
            if try await r.state() == s { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
