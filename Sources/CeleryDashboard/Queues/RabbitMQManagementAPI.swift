import AMQP091
import Celery
import Foundation

/// The parts of RabbitMQ's management HTTP API the dashboard reads: the queues of one
/// virtual host, a peek at a queue's head, and purge. Everything goes through
/// ``ManagementHTTPClient``; the API's numbers are its statistics, refreshed every
/// `collect_statistics_interval` (5 s by default), so they lag the queue by up to that.
struct RabbitMQManagementAPI: Sendable {
    let http: ManagementHTTPClient
    /// The virtual host (`/` by default).
    let vhost: String

    /// Most messages one peek fetches (browse pages and dead-letter lists).
    static let maxPeek = 500

    /// For a broker URL: the given management URL, or `http://user:password@host:15672/`.
    static func derive(brokerURL: String, managementURL: String?, timeout: Duration = .seconds(3)) throws -> RabbitMQManagementAPI {
        let amqp = try AMQPConfiguration(url: brokerURL)
        let url: String
        if let managementURL, !managementURL.isEmpty {
            url = managementURL
        } else {
            let host = amqp.host.contains(":") ? "[\(amqp.host)]" : amqp.host
            url = "http://\(encode(amqp.user)):\(encode(amqp.password))@\(host):15672/"
        }
        return RabbitMQManagementAPI(http: try ManagementHTTPClient(url: url, timeout: timeout), vhost: amqp.virtualHost)
    }

    /// Percent-encodes a path segment or userinfo part (everything but unreserved characters).
    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    private var v: String { Self.encode(vhost) }

    /// `GET /api/overview` (whether the API answers, and with which version).
    func overview() async throws -> JSONValue { try await http.getJSON("/api/overview") }

    /// One queue as the API lists it.
    struct Queue: Sendable {
        var name: String
        var ready: Int
        var unacked: Int
        var consumers: Int
        var publishRate: Double?
        var deliverRate: Double?
    }

    /// Every queue of the virtual host (also those no one consumes), sorted by name.
    func queues() async throws -> [Queue] {
        let cols = "name,messages_ready,messages_unacknowledged,consumers,message_stats.publish_details.rate,message_stats.deliver_get_details.rate"
        let r = try await http.getJSON("/api/queues/\(v)?columns=\(cols)")
        guard let items = r.arrayValue else { throw DashboardError(502, "GET /api/queues on \(http.maskedURL): not a list") }
        return items.compactMap { q in
            guard let name = q["name"]?.stringValue else { return nil }
            let stats = q["message_stats"]
            return Queue(
                name: name, ready: Int(q["messages_ready"]?.intValue ?? 0), unacked: Int(q["messages_unacknowledged"]?.intValue ?? 0),
                consumers: Int(q["consumers"]?.intValue ?? 0), publishRate: stats?["publish_details"]?["rate"]?.doubleValue,
                deliverRate: stats?["deliver_get_details"]?["rate"]?.doubleValue)
        }.sorted { $0.name < $1.name }
    }

    /// The first `count` ready messages of a queue, taken and put back at once
    /// (`ackmode: ack_requeue_true`): the queue keeps them, in order, but RabbitMQ marks
    /// them redelivered. An unknown queue gives `[]`.
    func peek(_ queue: String, count: Int) async throws -> [PeekedMessage] {
        let body: JSONValue = [
            "count": .int(Int64(max(1, min(count, Self.maxPeek)))), "ackmode": "ack_requeue_true", "encoding": "auto",
            "truncate": 50_000,
        ]
        do {
            let r = try await http.json("POST", "/api/queues/\(v)/\(Self.encode(queue))/get", body: body)
            return (r.arrayValue ?? []).map(PeekedMessage.init)
        } catch let e as DashboardError where e.status == 404 {
            return []
        }
    }
}

/// One message as `POST /api/queues/<vhost>/<queue>/get` returns it.
struct PeekedMessage: Sendable {
    /// AMQP headers (Celery's `id`, `task`, `eta`, `argsrepr`, … and `x-death` once dead-lettered).
    var headers: [String: JSONValue]
    /// The `timestamp` property (seconds since 1970) when the producer set one.
    var timestamp: Double?
    var priority: Int?
    var routingKey: String?
    var redelivered: Bool

    init(_ v: JSONValue) {
        let props = v["properties"]
        // The API shows an AMQP void (Python Celery's `eta: None`) as the string "undefined".
        headers = (props?["headers"]?.objectValue ?? [:]).filter { $0.value != .string("undefined") && !$0.value.isNull }
        timestamp = props?["timestamp"]?.doubleValue
        priority = props?["priority"]?.intValue.map(Int.init)
        routingKey = v["routing_key"]?.stringValue
        redelivered = v["redelivered"]?.boolValue ?? false
    }

    /// The dashboard's view of it as a waiting message.
    func waiting(position: Int) -> WaitingMessage {
        var m = WaitingMessage(position: position)
        m.id = headers["id"]?.stringValue
        m.task = headers["task"]?.stringValue
        m.args = headers["argsrepr"]?.stringValue
        m.kwargs = headers["kwargsrepr"]?.stringValue
        m.eta = headers["eta"]?.stringValue
        m.retries = headers["retries"]?.intValue.map(Int.init)
        m.priority = priority
        return m
    }

    /// The dashboard's view of it as a dead letter (reason and time from `x-death`, or our
    /// `x-celery-dead-letter-reason` header).
    func deadLetter(index: Int) -> DeadLetter {
        let death = headers["x-death"]?.arrayValue?.first
        var d = DeadLetter(index: index, reason: headers["x-celery-dead-letter-reason"]?.stringValue ?? death?["reason"]?.stringValue ?? "?")
        if let t = death?["time"]?.doubleValue { d.at = CeleryDate.format(Date(timeIntervalSince1970: t)) }
        d.task = headers["task"]?.stringValue
        d.id = headers["id"]?.stringValue
        return d
    }
}
