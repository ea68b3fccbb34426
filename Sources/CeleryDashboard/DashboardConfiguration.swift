import Foundation

/// How a dashboard connects, listens and who may use it.
public struct DashboardConfiguration: Sendable {
    /// Broker URL (a `;`-separated failover list is accepted; the first entry is inspected).
    public var brokerURL: String
    /// Result backend URL (`mongodb://`, `redis://`, `memory://`); `nil` = live events only.
    public var backendURL: String?
    /// Address to bind. Default `127.0.0.1` (loopback).
    public var address: String
    /// TCP port. Default 5555 (Flower's); 0 picks a free port.
    public var port: Int
    /// Refuse every action (enqueue, revoke, purge, worker control). Default `false`.
    public var readOnly: Bool
    /// Who may use the dashboard.
    public var credentials: DashboardCredentials
    /// Most tasks kept in memory from live events (a ring: the oldest are forgotten first;
    /// history beyond it comes from the result backend). Default 10 000.
    public var recentTaskLimit: Int
    /// How long after its last heartbeat a worker still counts as online. The grace is at
    /// least three heartbeat intervals, so one late heartbeat never flips a worker. Default 10 s.
    public var workerGrace: Duration
    /// How long to collect replies to `inspect` commands. Default 1 s.
    public var inspectTimeout: Duration
    /// RabbitMQ management API base URL (`http://user:pass@host:15672`); `nil` = derive it
    /// from an `amqp://` broker URL (port 15672) and fall back to passive declares when it
    /// does not answer.
    public var rabbitManagementURL: String?
    /// Queue names to list even when no binding or worker names them. Default `["celery"]`.
    public var knownQueues: [String]
    /// Most events received and not yet applied to the live state. Events are best-effort:
    /// under a burst faster than the dashboard applies them the oldest waiting ones are
    /// dropped and counted (`celery_dashboard_events_dropped_total`). Default 10 000 (at
    /// least 100).
    public var eventBufferLimit: Int

    /// Creates a configuration; every parameter has the default described on its property.
    public init(
        brokerURL: String, backendURL: String? = nil, address: String = "127.0.0.1", port: Int = 5555,
        readOnly: Bool = false, credentials: DashboardCredentials = DashboardCredentials(),
        recentTaskLimit: Int = 10_000, workerGrace: Duration = .seconds(10), inspectTimeout: Duration = .seconds(1),
        rabbitManagementURL: String? = nil, eventBufferLimit: Int = 10_000, knownQueues: [String] = ["celery"]
    ) {
        self.brokerURL = brokerURL
        self.backendURL = backendURL
        self.address = address
        self.port = port
        self.readOnly = readOnly
        self.credentials = credentials
        self.recentTaskLimit = max(100, recentTaskLimit)
        self.workerGrace = workerGrace
        self.inspectTimeout = inspectTimeout
        self.rabbitManagementURL = rabbitManagementURL
        self.knownQueues = knownQueues
        self.eventBufferLimit = max(100, eventBufferLimit)
    }

    /// Whether ``address`` is a loopback address (`127.x`, `::1`, `localhost`).
    public var isLoopback: Bool {
        address == "localhost" || address == "::1" || address.hasPrefix("127.")
    }

    /// The first broker URL of a failover list.
    var primaryBrokerURL: String {
        brokerURL.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? brokerURL
    }
}

/// Credentials that open the dashboard: HTTP basic auth (Flower's `--basic-auth`), a bearer
/// token, or both. Empty means "none given": ``DashboardServer`` then generates a token on
/// loopback and refuses any other address.
public struct DashboardCredentials: Sendable, Hashable {
    /// `user:password` pairs accepted with HTTP basic auth.
    public var basic: [BasicCredential]
    /// Bearer token (`Authorization: Bearer T`), also accepted once as `?token=T` to open a session.
    public var token: String?

    /// One user and password.
    public struct BasicCredential: Sendable, Hashable {
        /// User name.
        public var user: String
        /// Password.
        public var password: String
        /// Creates a credential.
        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }

    /// Creates credentials (default: none).
    public init(basic: [BasicCredential] = [], token: String? = nil) {
        self.basic = basic
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Parses Flower's `--basic-auth` value: `user:password`, several separated by commas.
    public static func parseBasic(_ text: String) throws -> [BasicCredential] {
        try text.split(separator: ",").map { pair in
            guard let colon = pair.firstIndex(of: ":"), colon != pair.startIndex, pair.index(after: colon) != pair.endIndex else {
                throw DashboardError.badRequest("--basic-auth wants user:password (several separated by commas)")
            }
            return BasicCredential(user: String(pair[..<colon]), password: String(pair[pair.index(after: colon)...]))
        }
    }

    /// Whether no credential is configured.
    public var isEmpty: Bool { basic.isEmpty && token == nil }

    /// A random URL-safe token (32 bytes, hex).
    public static func generateToken() -> String {
        var g = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &g) })
    }
}
