/// A parsed server URL: `scheme://[user[:password]@]host[:port][,host2[:port]…][/path][?query]`,
/// or a `;`-separated failover list of them, as Celery takes them
/// (`amqp://h1:5672//;amqp://h2:5672//`).
///
/// For a list, this value describes the first node and ``failover`` holds the others, each
/// parsed on its own (with its own credentials and query). Parsing is deliberately simple and
/// strict; ``masked`` is what logs show, with every password in the list masked.
public struct ConnectionURL: Sendable, Hashable, CustomStringConvertible {
    /// This node's URL exactly as given (only ever passed to drivers, never logged). For a
    /// failover list, the first entry alone.
    public var raw: String
    /// The other nodes of a `;`-separated failover list, in the order given; empty for a
    /// single URL.
    public var failover: [ConnectionURL] = []
    /// Every node of the list, this one first.
    public var nodes: [ConnectionURL] {
        var first = self
        first.failover = []
        return [first] + failover
    }
    /// The whole list exactly as given (the same as ``raw`` for a single URL).
    public var rawList: String { nodes.map(\.raw).joined(separator: ";") }
    /// Lower-cased scheme (`redis`, `rediss`, `amqp`, `amqps`, `mongodb`, `memory`).
    public var scheme: String
    /// User name, percent-decoded.
    public var user: String?
    /// Password, percent-decoded.
    public var password: String?
    /// Hosts with optional ports, in order.
    public var hosts: [(host: String, port: Int?)] {
        get { hostList.map { ($0.host, $0.port) } }
    }
    /// Host list storage.
    var hostList: [HostPort]
    /// Path without the leading `/`, percent-decoded (`0` for a Redis db, a vhost, a database).
    public var path: String
    /// Query parameters in order.
    public var query: [(name: String, value: String)] { queryList.map { ($0.name, $0.value) } }
    var queryList: [QueryItem]

    struct HostPort: Sendable, Hashable { var host: String; var port: Int? }
    struct QueryItem: Sendable, Hashable { var name: String; var value: String }

    /// The first host (empty for `memory://`).
    public var host: String { hostList.first?.host ?? "" }
    /// The first port, if given.
    public var port: Int? { hostList.first?.port }

    /// The value of a query parameter.
    public func queryValue(_ name: String) -> String? { queryList.first { $0.name == name }?.value }

    /// Parses a URL or a `;`-separated failover list; throws ``CeleryError`` (`badURL`)
    /// naming the problem (with every password masked). Every node of a list must have the
    /// same scheme family (`redis`/`rediss`, `amqp`/`amqps`, …).
    public init(_ string: String) throws {
        let entries = string.split(separator: ";", omittingEmptySubsequences: true)
            .map { String($0).trimmingCharactersInWhitespace() }.filter { !$0.isEmpty }
        guard entries.count > 1 else {
            try self.init(single: entries.first ?? string)
            return
        }
        try self.init(single: entries[0])
        let family = Self.family(scheme)
        for e in entries.dropFirst() {
            let node = try ConnectionURL(single: e)
            guard Self.family(node.scheme) == family else {
                throw CeleryError(
                    .badURL, "failover list '\(Self.mask(string))' mixes schemes '\(scheme)' and '\(node.scheme)'")
            }
            failover.append(node)
        }
    }

    /// `rediss` and `redis` (a TLS and a plain node) may be mixed in one list; `amqp` and
    /// `redis` not.
    static func family(_ scheme: String) -> String {
        switch scheme {
        case "rediss": return "redis"
        case "amqps": return "amqp"
        default: return scheme
        }
    }

    /// Parses one URL of a list.
    init(single string: String) throws {
        raw = string
        guard let sep = string.firstRange(of: "://") else {
            throw CeleryError(.badURL, "'\(Self.mask(string))' is not a URL (expected scheme://…)")
        }
        scheme = String(string[..<sep.lowerBound]).lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
        else { throw CeleryError(.badURL, "'\(Self.mask(string))' has an invalid scheme") }
        var rest = Substring(string[sep.upperBound...])
        var queryPart: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryPart = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var pathPart: Substring = ""
        if let s = rest.firstIndex(of: "/") {
            pathPart = rest[rest.index(after: s)...]
            rest = rest[..<s]
        }
        var authority = rest
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                let u = String(info[..<colon])
                user = u.isEmpty ? nil : Self.percentDecode(u)
                password = Self.percentDecode(String(info[info.index(after: colon)...]))
            } else {
                user = info.isEmpty ? nil : Self.percentDecode(String(info))
            }
        }
        hostList = []
        if authority.isEmpty, rest.contains("@") {
            throw CeleryError(.badURL, "'\(Self.mask(string))' has credentials but no host")
        }
        if !authority.isEmpty {
            for part in authority.split(separator: ",", omittingEmptySubsequences: false) {
                var h = Substring(part)
                var port: Int?
                if h.hasPrefix("[") {
                    guard let close = h.firstIndex(of: "]") else {
                        throw CeleryError(.badURL, "'\(Self.mask(string))' has an unterminated IPv6 address")
                    }
                    let after = h[h.index(after: close)...]
                    if after.hasPrefix(":") {
                        guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                            throw CeleryError(.badURL, "'\(Self.mask(string))' has an invalid port '\(after.dropFirst())'")
                        }
                        port = p
                    }
                    h = h[h.index(after: h.startIndex)..<close]
                } else if let colon = h.lastIndex(of: ":") {
                    let ps = h[h.index(after: colon)...]
                    guard let p = Int(ps), (1...65535).contains(p) else {
                        throw CeleryError(.badURL, "'\(Self.mask(string))' has an invalid port '\(ps)'")
                    }
                    port = p
                    h = h[..<colon]
                }
                guard !h.isEmpty else { throw CeleryError(.badURL, "'\(Self.mask(string))' has an empty host") }
                hostList.append(HostPort(host: String(h), port: port))
            }
        }
        path = Self.percentDecode(String(pathPart))
        queryList = queryPart.split(separator: "&").map { item in
            if let eq = item.firstIndex(of: "=") {
                return QueryItem(
                    name: Self.percentDecode(String(item[..<eq])),
                    value: Self.percentDecode(String(item[item.index(after: eq)...])))
            }
            return QueryItem(name: Self.percentDecode(String(item)), value: "")
        }
    }

    /// The URL (the whole list, for a failover list) with every password replaced by `***`.
    public var masked: String { nodes.map { Self.mask($0.raw) }.joined(separator: ";") }

    public var description: String { masked }

    public static func == (a: ConnectionURL, b: ConnectionURL) -> Bool { a.rawList == b.rawList }
    public func hash(into h: inout Hasher) { h.combine(rawList) }

    /// Replaces the password of every URL in a string with `***` (`redis://:***@host`): a
    /// single URL, a `;`-separated list, or any text that quotes URLs (an error message).
    /// Query values of parameters named `…password` (`sentinel_password=…`) are masked too.
    public static func mask(_ s: String) -> String {
        maskQueryPasswords(maskUserInfo(s))
    }

    /// Masks the value of every `…password=value` query parameter.
    static func maskQueryPasswords(_ s: String) -> String {
        guard s.contains("password=") else { return s }
        var out = ""
        var rest = Substring(s)
        while let r = rest.firstRange(of: "password=") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let end = rest.firstIndex(where: { "&;#'\" \t\n)".contains($0) }) ?? rest.endIndex
            if end != rest.startIndex { out += "***" }
            rest = rest[end...]
        }
        return out + rest
    }

    static func maskUserInfo(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let sep = rest.firstRange(of: "://") {
            out += rest[..<sep.upperBound]
            rest = rest[sep.upperBound...]
            // The authority ends at the path, the query, the next list entry or any space or quote.
            let authEnd = rest.firstIndex(where: { "/?;#'\" \t\n)".contains($0) }) ?? rest.endIndex
            let authority = rest[..<authEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                out += authority[..<colon] + ":***"
                rest = rest[at...]
            }
        }
        return out + rest
    }

    static func percentDecode(_ s: String) -> String {
        guard s.contains("%") else { return s }
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
