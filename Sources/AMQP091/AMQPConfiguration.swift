import NIOSSL

/// How to reach and log in to an AMQP 0-9-1 server.
public struct AMQPConfiguration: Sendable {
    /// Host name or IP address.
    public var host: String
    /// TCP port. Default 5672, or 5671 with TLS.
    public var port: Int
    /// User name for PLAIN authentication. Default `guest`.
    public var user: String
    /// Password for PLAIN authentication. Default `guest`. Never logged.
    public var password: String
    /// Virtual host. Default `/`.
    public var virtualHost: String
    /// TLS settings; `nil` = plain TCP. `amqps://` URLs set the default client configuration.
    public var tls: TLSConfiguration?
    /// Largest frame we accept and propose, in bytes (the smaller of ours and the server's
    /// wins). Default 131072; at least 4096.
    public var frameMax: Int
    /// Most channels we propose (the smaller of ours and the server's wins). Default 2047.
    public var channelMax: UInt16
    /// Heartbeat interval we propose; the smaller non-zero of ours and the server's wins;
    /// `.zero` disables heartbeats. Default 60 s. Two missed intervals fail the connection.
    public var heartbeat: Duration
    /// Time allowed for TCP connect, TLS and the AMQP handshake together. Default 10 s.
    public var connectTimeout: Duration
    /// Shown in the RabbitMQ management UI (`connection_name` client property).
    public var connectionName: String?

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int? = nil, user: String = "guest", password: String = "guest",
        virtualHost: String = "/", tls: TLSConfiguration? = nil, frameMax: Int = 131_072, channelMax: UInt16 = 2047,
        heartbeat: Duration = .seconds(60), connectTimeout: Duration = .seconds(10), connectionName: String? = nil
    ) {
        self.host = host
        self.port = port ?? (tls == nil ? 5672 : 5671)
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.tls = tls
        self.frameMax = max(frameMax, 4096)
        self.channelMax = channelMax
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.connectionName = connectionName
    }

    /// Parses `amqp://user:pass@host:port/vhost` or `amqps://…` (user, password and vhost
    /// percent-decoded; an empty path means vhost `/`, `%2F` is `/` too). Query parameters
    /// `heartbeat` (s), `frame_max` (bytes), `channel_max` and `connection_timeout` (ms) are
    /// honoured; others are ignored so higher layers can use them.
    public init(url: String) throws {
        let masked = AMQPConfiguration.mask(url)
        let lower = url.lowercased()
        let secure: Bool
        if lower.hasPrefix("amqp://") { secure = false } else if lower.hasPrefix("amqps://") { secure = true } else {
            throw AMQPError(.badURL, "'\(masked)' is not an amqp:// or amqps:// URL")
        }
        var rest = Substring(url.dropFirst(secure ? 8 : 7))
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") { query = rest[rest.index(after: q)...]; rest = rest[..<q] }
        var path: Substring?
        if let s = rest.firstIndex(of: "/") { path = rest[rest.index(after: s)...]; rest = rest[..<s] }
        var user = "guest", password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let c = info.firstIndex(of: ":") {
                user = Self.percentDecode(info[..<c])
                password = Self.percentDecode(info[info.index(after: c)...])
            } else {
                user = Self.percentDecode(info)
            }
        }
        var host = String(rest)
        var port: Int?
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw AMQPError(.badURL, "'\(masked)' has an invalid port '\(after.dropFirst())'")
                }
                port = p
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let c = host.lastIndex(of: ":") {
            let ps = host[host.index(after: c)...]
            guard let p = Int(ps), (1...65535).contains(p) else {
                throw AMQPError(.badURL, "'\(masked)' has an invalid port '\(ps)'")
            }
            port = p
            host = String(host[..<c])
        }
        if host.isEmpty { host = "localhost" }
        let vhost = path.map { $0.isEmpty ? "/" : Self.percentDecode($0) } ?? "/"
        self.init(
            host: host, port: port, user: user, password: password, virtualHost: vhost,
            tls: secure ? TLSConfiguration.makeClientConfiguration() : nil)
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = Self.percentDecode(parts[1])
            func number() throws -> Int {
                guard let n = Int(value), n >= 0 else {
                    throw AMQPError(.badURL, "'\(masked)': query parameter \(parts[0]) must be a non-negative integer, got '\(value)'")
                }
                return n
            }
            switch parts[0] {
            case "heartbeat": heartbeat = .seconds(try number())
            case "frame_max": frameMax = max(try number(), 4096)
            case "channel_max": channelMax = UInt16(clamping: try number())
            case "connection_timeout": connectTimeout = .milliseconds(try number())
            case "ssl_cert_reqs", "ssl_ca_certs":
                guard var t = tls else {
                    throw AMQPError(.badURL, "'\(masked)': \(parts[0]) needs the amqps:// scheme")
                }
                if parts[0] == "ssl_ca_certs" {
                    t.trustRoots = .file(value)
                } else {
                    switch value.lowercased() {
                    case "required", "cert_required": t.certificateVerification = .fullVerification
                    case "none", "cert_none": t.certificateVerification = .none
                    case "optional", "cert_optional": t.certificateVerification = .noHostnameVerification
                    default: throw AMQPError(.badURL, "'\(masked)': ssl_cert_reqs '\(value)' is not none, optional or required")
                    }
                }
                tls = t
            default: continue
            }
        }
    }

    /// `host:port`, for error messages.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The server address without the password, e.g. `amqp://guest:***@127.0.0.1:5672/%2F`.
    public var maskedURL: String {
        let vhost = virtualHost == "/" ? "" : virtualHost.replacingSlashes()
        return "\(tls == nil ? "amqp" : "amqps")://\(user):***@\(endpoint)/\(vhost)"
    }

    /// Replaces the password of an AMQP URL with `***`.
    public static func mask(_ url: String) -> String {
        guard let colonSlash = url.firstIndex(of: ":"), url[colonSlash...].hasPrefix("://") else { return url }
        let start = url.index(colonSlash, offsetBy: 3)
        let rest = url[start...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<end].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<start]) + rest[..<colon] + ":***" + rest[at...]
    }

    static func percentDecode(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
                let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
            {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        var s = ""
        for c in self { s += c == "/" ? "%2F" : String(c) }
        return s
    }
}
