import CeleryTestSupport
import Foundation
import Testing

/// The opt-in products: a worker built from `CeleryCommands` with Redis only links neither
/// libmongoc nor the AMQP client, while `celery-worker` (every transport) links both.
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

    @Test func fullWorkerLinksEveryTransport() async throws {
        let full = try binary("celery-worker")
        #expect(try await run("/usr/bin/ldd", [full]).contains("libmongoc"))
        #expect(try await run("/usr/bin/nm", [full]).contains("7AMQP091"))
    }

    @Test func redisOnlyWorkerRefusesOtherSchemesClearly() async throws {
        let redisOnly = try binary("celery-redis-worker-example")
        let (status, out) = try await runCommand(redisOnly, ["--broker", "amqp://guest:guest@127.0.0.1:1/", "--connect-timeout", "1"], timeout: .seconds(30))
        #expect(status == 64, "\(out)")
        #expect(out.contains("no broker transport for scheme 'amqp'"), "\(out)")
        #expect(out.contains("register"), "\(out)")
    }
}
