import Celery
import Logging
import RESP

/// What a Redis broker or result backend URL resolves to: the settings the transport reads
/// (database, timeouts, query options such as `visibility_timeout`) and the connector that
/// opens every connection.
///
/// - `redis://…` or `rediss://…`: one server.
/// - `redis://h1/0;redis://h2/0` (`;` failover list): ``RedisEndpoints``.
/// - `sentinel://h1:26379;sentinel://h2:26379?master_name=m`: ``RedisSentinel``.
///
/// For a list, query options are looked up in every entry (the first entry that names one
/// wins), so `sentinel://a;sentinel://b?master_name=m` works as kombu users write it.
struct RedisTarget {
    /// The settings of the first node (for Sentinel: the master's), with the list's merged query.
    let configuration: RedisConfiguration
    /// Opens connections to the node in use.
    let connector: any RedisConnector
    /// The URL (every entry) with every password masked.
    var displayURL: String { connector.displayURL }

    /// Query parameters meant for the sentinels alone, kept out of the master's settings.
    static let sentinelOnly: Set<String> = ["sentinel_password", "master_name"]

    /// Parses `url`; throws ``CeleryError`` (`badURL`) naming the problem, every password masked.
    init(url: String, what: String, logger: Logger) throws {
        let parsed = try ConnectionURL(url)
        let merged = Self.mergedQuery(parsed)
        switch parsed.scheme {
        case "sentinel":
            let raw = parsed.raw
            let afterScheme = raw[raw.firstRange(of: "://")!.upperBound...]
            let base = afterScheme.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let query = merged.filter { !Self.sentinelOnly.contains($0.name) }
            let templateURL = "redis://" + base + (query.isEmpty ? "" : "?" + query.map(\.raw).joined(separator: "&"))
            let master: RedisConfiguration
            do { master = try RedisConfiguration(url: templateURL) } catch {
                throw CeleryError.redis(error, "parsing the \(what) URL", at: parsed.masked)
            }
            configuration = master
            connector = try RedisSentinel(parsed, master: master, logger: logger)
        case "redis", "rediss":
            if parsed.failover.isEmpty {
                do { configuration = try RedisConfiguration(url: url) } catch {
                    throw CeleryError.redis(error, "parsing the \(what) URL", at: RedisConfiguration.mask(url))
                }
                connector = RedisFixedConnector(configuration)
            } else {
                let endpoints = try RedisEndpoints(parsed, logger: logger)
                var first = endpoints.nodes[0]
                first.query = merged.map { ($0.name, $0.value) }
                configuration = first
                connector = endpoints
            }
        default:
            throw CeleryError(.badURL, "\(parsed.masked) is not a redis://, rediss:// or sentinel:// URL")
        }
    }

    /// One query item of a list: its decoded name and value and its text as given.
    struct Item { var name: String; var value: String; var raw: String }

    /// The query items of every entry, first occurrence of each name winning, in order.
    static func mergedQuery(_ url: ConnectionURL) -> [Item] {
        var seen: Set<String> = []
        var out: [Item] = []
        for node in url.nodes {
            guard let q = node.raw.firstIndex(of: "?") else { continue }
            let texts = node.raw[node.raw.index(after: q)...].split(separator: "&").map(String.init)
            for (text, item) in zip(texts, node.query) where seen.insert(item.name).inserted {
                out.append(Item(name: item.name, value: item.value, raw: text))
            }
        }
        return out
    }
}
