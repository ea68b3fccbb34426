import Foundation
import Testing

@testable import RESP

/// `rediss://` against a private TLS-only redis-server with a throwaway self-signed
/// certificate (made with `openssl`; skipped with a note when openssl is missing outside CI).
@Suite struct RedisTLSTests {
    static func run(_ tool: String, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test func tlsConnectionsWithAndWithoutVerification() async throws {
        guard let base = try TestRedis.configuration() else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resp-tls-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path
        let made = try Self.run("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
        ])
        guard made == 0 else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("openssl failed (\(made))") }
            return
        }
        let port = try TestRedis.startExtraServer(
            ["--port", "0", "--tls-port", "PORT", "--tls-cert-file", cert, "--tls-key-file", key,
             "--tls-ca-cert-file", cert, "--tls-auth-clients", "no", "--requirepass", "tlspw"],
            basePort: base.port + 1000)
        let insecure = try RedisConfiguration(url: "rediss://:tlspw@127.0.0.1:\(port)/1?ssl_cert_reqs=none")
        var c: RedisConnection?
        for _ in 0..<100 where c == nil {
            c = try? await RedisConnection.connect(insecure)
            if c == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let conn = try #require(c)
        #expect(try await conn.send("PING") == .simpleString("PONG"))
        // Verified against the certificate as trust root.
        let verified = try await RedisConnection.connect(
            RedisConfiguration(url: "rediss://:tlspw@127.0.0.1:\(port)/0?ssl_ca_certs=\(cert)"))
        #expect(try await verified.send("PING") == .simpleString("PONG"))
        await verified.close()
        // Verified against the system roots: the self-signed certificate is refused.
        var strict = try RedisConfiguration(url: "rediss://:tlspw@127.0.0.1:\(port)/0")
        strict.connectTimeout = .seconds(3)
        await #expect { try await RedisConnection.connect(strict) } throws: { e in
            guard let e = e as? RESPError else { return false }
            return e.kind == .tls && e.message.contains("127.0.0.1:\(port)") && !e.message.contains("tlspw")
        }
        // Plain TCP to the TLS port fails within the connect timeout, naming the server.
        var plain = RedisConfiguration(host: "127.0.0.1", port: port, password: "tlspw")
        plain.connectTimeout = .seconds(2)
        await #expect { try await RedisConnection.connect(plain) } throws: { e in
            (e as? RESPError)?.message.contains("127.0.0.1:\(port)") == true
        }
        _ = try? await conn.send("SHUTDOWN", "NOSAVE")
        await conn.close()
    }
}
