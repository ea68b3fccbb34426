import Celery
import CeleryAllTransports
import CeleryTestSupport
import Foundation
import Testing

/// The opt-in products: a worker built from `CeleryCommands` with Redis only links neither
/// libmongoc nor the AMQP client, while `celery-worker` (every transport) holds both clients but
/// links no libmongoc: it loads it with `dlopen` when a `mongodb://` URL is used.
@Suite struct ProductLinkTests {
    func run(_ tool: String, _ args: [String]) async throws -> String {
        let (status, out) = try await runCommand(tool, args, timeout: .seconds(60))
        try #require(status == 0, "\(tool) \(args) exited \(status): \(out.prefix(500))")
        return out
    }

    func binary(_ name: String) throws -> String {
        let path = LiveServers.binDirectory + "/" + name
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is not built (swift build --build-tests builds it)")
        return path
    }

    /// The shared objects mapped into a running process (`/proc/PID/maps`, read with `cat`: its
    /// size is 0, so a read by size gets nothing).
    func mappedLibraries(_ child: Child) async throws -> String {
        let maps = try await run("/bin/cat", ["/proc/\(child.process.processIdentifier)/maps"])
        try #require(maps.contains("libc.so"), "unreadable maps: \(maps.prefix(300))")
        return maps
    }

    @Test func redisOnlyWorkerLinksNoMongoAndNoAMQP() async throws {
        let redisOnly = try binary("celery-redis-worker-example")
        let ldd = try await run("/usr/bin/ldd", [redisOnly])
        #expect(!ldd.contains("libmongoc"), "\(ldd)")
        #expect(!ldd.contains("libbson"), "\(ldd)")
        let symbols = try await run("/usr/bin/nm", [redisOnly])
        #expect(!symbols.contains("7AMQP091"), "AMQP091 symbols in the Redis-only worker")
        #expect(!symbols.contains("11CeleryMongo"), "CeleryMongo symbols in the Redis-only worker")
        #expect(symbols.contains("11CeleryRedis"), "the Redis transport must be in it")
    }

    @Test func fullWorkerHoldsEveryTransportButLinksNoLibmongoc() async throws {
        let full = try binary("celery-worker")
        let ldd = try await run("/usr/bin/ldd", [full])
        #expect(!ldd.contains("libmongoc") && !ldd.contains("libbson"), "\(ldd)")
        let symbols = try await run("/usr/bin/nm", [full])
        #expect(symbols.contains("7AMQP091"), "the AMQP client must be in it")
        #expect(symbols.contains("11CeleryMongo"), "the MongoDB backend must be in it")
        #expect(symbols.contains("cmongoc_load"), "the libmongoc loader must be in it")
    }

    @Test func fullWorkerMapsLibmongocOnlyForAMongoBackend() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let full = try binary("celery-worker")
        let idle = try Child(full, ["--broker", redis, "-Q", LiveServers.unique("plt-idle"), "-l", "info"], name: "plt-idle")
        defer { idle.killNow() }
        #expect(await idle.waitFor("worker ready"), "\(idle.output)")
        let idleMaps = try await mappedLibraries(idle)
        #expect(!idleMaps.contains("libmongoc") && !idleMaps.contains("libbson"), "an idle Redis worker maps libmongoc")
        #expect(await idle.stop() == 0)

        let queue = LiveServers.unique("plt-mongo")
        let worker = try Child(full, ["--broker", redis, "--result-backend", mongo, "-Q", queue, "-l", "info"], name: "plt-mongo")
        defer { worker.killNow() }
        #expect(await worker.waitFor("worker ready"), "\(worker.output)")
        AllTransports.register()
        let app = try await Celery(name: "plt", broker: redis, backend: mongo)
        let sum = try await app.send(task: "tasks.add", args: [2, 3], options: CallOptions(route: .queue(queue)))
        #expect(try await sum.get(timeout: .seconds(20)) == 5, "\(worker.output)")
        let maps = try await mappedLibraries(worker)
        #expect(maps.contains("libmongoc-1.0.so") && maps.contains("libbson-1.0.so"), "the worker stored a result without libmongoc?")
        try await app.close()
        #expect(await worker.stop() == 0, "\(worker.output)")
    }

    @Test func missingLibmongocIsAClearStartupError() async throws {
        let full = try binary("celery-worker")
        let missing = "/nonexistent/libmongoc-1.0.so.0"
        let (status, out) = try await runCommand(
            full, ["--broker", "memory://plt-missing", "--result-backend", "mongodb://127.0.0.1:1/db", "-l", "error"],
            env: ["CELERY_LIBMONGOC": missing], timeout: .seconds(30))
        #expect(status == 1, "\(out)")
        #expect(out.contains("mongodb:// needs libmongoc-1.0 (apt-get install libmongoc-1.0-0)"), "\(out)")
        #expect(out.contains(missing), "\(out)")
        // Without a MongoDB URL the same environment changes nothing: the worker starts.
        let other = try Child(full, ["--broker", "memory://plt-missing", "-l", "info"], env: ["CELERY_LIBMONGOC": missing], name: "plt-nomongo")
        defer { other.killNow() }
        #expect(await other.waitFor("worker ready"), "\(other.output)")
        #expect(await other.stop() == 0)
    }

    @Test func redisOnlyWorkerRefusesOtherSchemesClearly() async throws {
        let redisOnly = try binary("celery-redis-worker-example")
        let (status, out) = try await runCommand(redisOnly, ["--broker", "amqp://guest:guest@127.0.0.1:1/", "--connect-timeout", "1"], timeout: .seconds(30))
        #expect(status == 64, "\(out)")
        #expect(out.contains("no broker transport for scheme 'amqp'"), "\(out)")
        #expect(out.contains("register"), "\(out)")
    }
}
