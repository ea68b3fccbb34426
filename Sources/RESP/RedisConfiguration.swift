import NIOSSL

/// Where and how to connect to a Redis server.
///
/// From a URL: `redis://[user:password@]host[:port][/db][?query]` or `rediss://…` (TLS).
/// Query parameters understood: `ssl_cert_reqs=none|optional|required` (TLS peer
/// verification, default `required`), `ssl_ca_certs=<path>` (PEM trust roots),
/// `connect_timeout=<seconds>`, `socket_timeout=<seconds>` (command timeout),
/// `health_check_interval=<seconds>` (0 turns the health check off). Others are
/// kept in ``query`` for the layers above.
public struct RedisConfiguration: Sendable {
    /// Host name or address.
    public var host: String
    /// TCP port. Default 6379.
    public var port: Int
    /// ACL user for `AUTH user password`; `nil` sends `AUTH password`.
    public var user: String?
    /// Password; `nil` sends no `AUTH`.
    public var password: String?
    /// Database number selected with `SELECT` after connecting. Default 0.
    public var database: Int
    /// TLS settings; `nil` means plain TCP.
    public var tls: TLSConfiguration?
    /// Limit for TCP connect, TLS handshake, `AUTH` and `SELECT` together. Default 5 s.
    public var connectTimeout: Duration
    /// Limit for one command's reply (blocking commands add their own block time). Default 30 s.
    public var commandTimeout: Duration
    /// How often a connection that has read nothing is checked (an idle one gets a `PING`;
    /// one whose oldest non-blocking command got no reply for a whole interval is closed):
    /// a half-open connection is found within twice this. `nil` turns it off. Default 5 s.
    public var healthCheckInterval: Duration? = .seconds(5)
    /// Most pub/sub messages waiting to be read on a subscribed connection and in a
    /// ``RedisSubscriber``; beyond it the oldest is dropped and counted (see
    /// ``RedisPushBuffer``). Default ``RedisPushBuffer/defaultLimit`` (100 000).
    public var pushBufferLimit: Int = RedisPushBuffer.defaultLimit
    /// Query parameters from the URL, in order.
    public var query: [(name: String, value: String)]

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 6379, user: String? = nil, password: String? = nil,
        database: Int = 0, tls: TLSConfiguration? = nil, connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.query = []
    }

    /// `host:port` for messages.
    public var peer: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The configuration as a URL with the password shown as `***` (for logs).
    public var maskedURL: String {
        var s = tls == nil ? "redis://" : "rediss://"
        if user != nil || password != nil {
            s += (user ?? "") + (password == nil ? "" : ":***") + "@"
        }
        return s + "\(peer)/\(database)"
    }

    /// Parses a `redis://` or `rediss://` URL; throws ``RESPError`` (`badURL`) naming the
    /// problem, with any password masked.
    public init(url: String) throws {
        let shown = Self.mask(url)
        func bad(_ why: String) -> RESPError { RESPError(.badURL, "invalid Redis URL '\(shown)': \(why)") }
        guard let sep = url.firstRange(of: "://") else { throw bad("expected redis://host:port/db") }
        let scheme = url[..<sep.lowerBound].lowercased()
        guard scheme == "redis" || scheme == "rediss" else { throw bad("scheme must be redis or rediss") }
        self.init()
        var rest = Substring(url[sep.upperBound...])
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...].split(separator: "&").map { item in
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (Self.percentDecode(parts[0]), parts.count > 1 ? Self.percentDecode(parts[1]) : "")
            }
            rest = rest[..<q]
        }
        var path: Substring = ""
        if let s = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: s)...]
            rest = rest[..<s]
        }
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                let u = info[..<colon]
                user = u.isEmpty ? nil : Self.percentDecode(u)
                password = Self.percentDecode(info[info.index(after: colon)...])
            } else if !info.isEmpty {
                // `redis://secret@host` — redis-py reads a lone userinfo as the password.
                password = Self.percentDecode(info)
            }
        }
        var hostPart = rest
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw bad("unterminated IPv6 address") }
            let after = hostPart[hostPart.index(after: close)...]
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("unexpected text after IPv6 address") }
                port = try Self.port(after.dropFirst(), bad)
            }
        } else {
            if let colon = hostPart.lastIndex(of: ":") {
                port = try Self.port(hostPart[hostPart.index(after: colon)...], bad)
                hostPart = hostPart[..<colon]
            }
            host = String(hostPart)
        }
        if host.isEmpty { host = "127.0.0.1" }
        if !path.isEmpty {
            guard let db = Int(path), db >= 0 else { throw bad("database '\(path)' is not a number ≥ 0") }
            database = db
        }
        if let v = queryValue("connect_timeout") {
            guard let s = Double(v), s > 0 else { throw bad("connect_timeout '\(v)' is not a positive number") }
            connectTimeout = .milliseconds(Int64(s * 1000))
        }
        if let v = queryValue("socket_timeout") {
            guard let s = Double(v), s > 0 else { throw bad("socket_timeout '\(v)' is not a positive number") }
            commandTimeout = .milliseconds(Int64(s * 1000))
        }
        if let v = queryValue("health_check_interval") {
            guard let s = Double(v), s >= 0 else { throw bad("health_check_interval '\(v)' is not a number ≥ 0") }
            healthCheckInterval = s == 0 ? nil : .milliseconds(Int64(s * 1000))
        }
        if scheme == "rediss" {
            var t = TLSConfiguration.makeClientConfiguration()
            switch queryValue("ssl_cert_reqs")?.lowercased() {
            case nil, "required", "cert_required": break
            case "none", "cert_none": t.certificateVerification = .none
            case "optional", "cert_optional": t.certificateVerification = .noHostnameVerification
            case let other?: throw bad("ssl_cert_reqs '\(other)' is not none, optional or required")
            }
            if let ca = queryValue("ssl_ca_certs") { t.trustRoots = .file(ca) }
            tls = t
        } else if queryValue("ssl_cert_reqs") != nil {
            throw bad("ssl_cert_reqs needs the rediss:// scheme")
        }
    }

    /// The value of a URL query parameter.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    private static func port(_ s: Substring, _ bad: (String) -> RESPError) throws -> Int {
        guard let p = Int(s), (1...65535).contains(p) else { throw bad("port '\(s)' is not in 1…65535") }
        return p
    }

    /// Replaces the password in a URL-like string with `***`.
    public static func mask(_ url: String) -> String {
        guard let sep = url.firstRange(of: "://") else { return url }
        let rest = url[sep.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<end].lastIndex(of: "@") else { return url }
        let info = rest[..<at]
        if let colon = info.firstIndex(of: ":") {
            return String(url[..<sep.upperBound]) + info[..<colon] + ":***" + rest[at...]
        }
        return String(url[..<sep.upperBound]) + "***" + rest[at...]
    }

    private static func percentDecode(_ s: Substring) -> String {
        guard s.contains("%") else { return String(s) }
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == 37, bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
