import Celery
import CeleryTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The `celery-dashboard` executable: its security defaults and environment variables.
@Suite(.serialized) struct CommandLineTests {
    static var binary: String { LiveServers.binDirectory + "/celery-dashboard" }

    func run(_ args: [String], env: [String: String] = [:]) throws -> Child {
        try Child(Self.binary, args, env: env, name: "cli")
    }

    @Test func refusesAnOpenAddressWithoutCredentials() async throws {
        let c = try run(["--broker", try Servers.redis(), "--address", "0.0.0.0", "--port", "0"],
            env: ["CELERY_DASHBOARD_TOKEN": "", "CELERY_DASHBOARD_BASIC_AUTH": ""])
        #expect(await c.waitForExit(timeout: .seconds(30)) == 2)
        #expect(c.output.contains("refusing to listen on 0.0.0.0 without credentials"))
    }

    @Test func printsAGeneratedTokenOnLoopbackAndTakesCredentialsFromTheEnvironment() async throws {
        let c = try run(["--broker", try Servers.redis(), "--port", "0"], env: ["CELERY_DASHBOARD_TOKEN": "", "CELERY_DASHBOARD_BASIC_AUTH": ""])
        #expect(await c.waitFor("generated API token"))
        let token = try #require(c.output.firstMatch(of: /generated API token ([0-9a-f]{64})/)?.1)
        let port = try #require(c.output.firstMatch(of: /http:\/\/127\.0\.0\.1:([0-9]+)\//)?.1)
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/queues/length")!)
        r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (_, resp) = try await URLSession.shared.data(for: r)
        #expect((resp as? HTTPURLResponse)?.statusCode == 200)
        _ = await c.stop()

        // With credentials from the environment no token is generated, and an open address is allowed.
        let e = try run(["--broker", try Servers.redis(), "--port", "0", "--address", "0.0.0.0", "--read-only"],
            env: ["CELERY_DASHBOARD_BASIC_AUTH": "ann:secret", "CELERY_DASHBOARD_TOKEN": ""])
        #expect(await e.waitFor("celery-dashboard on http://0.0.0.0:"))
        #expect(!e.output.contains("generated API token"))
        #expect(!e.output.contains("secret"))
        #expect(e.output.contains("read-only"))
        _ = await e.stop()
    }

    @Test func badFlagsAreRefused() async throws {
        let c = try run(["--broker", try Servers.redis(), "--basic-auth", "no-colon"])
        let status = await c.waitForExit(timeout: .seconds(30))
        #expect(status != nil && status != 0, "exits with an error (nil: still running)")
        #expect(c.output.contains("user:password"))
    }
}
