#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A Celery protocol v2 task message: headers, body `[args, kwargs, embed]` and properties,
/// exactly as Celery 5 writes them (see REFERENCE.md in the project's shared docs).
///
/// Decoding tolerates unknown extra headers (kept in ``extraHeaders`` so a message
/// round-trips) and missing optional ones.
public struct TaskMessage: Sendable, Hashable {
    // MARK: Headers
    /// `lang`: the sender's language (`py` for Python Celery; we send `py` too so Python
    /// workers treat our messages as their own).
    public var lang: String = "py"
    /// `task`: the task name.
    public var task: String
    /// `id`: the task id (a UUID string).
    public var id: String
    /// `shadow`: an alternative name for logs.
    public var shadow: String?
    /// `eta`: earliest time to run (a countdown becomes an eta).
    public var eta: Date?
    /// `expires`: after this time the task is revoked instead of run.
    public var expires: Date?
    /// `group`: the group id.
    public var group: String?
    /// `group_index`: position in the group.
    public var groupIndex: Int?
    /// `retries`: how many times this task was retried so far.
    public var retries: Int = 0
    /// `timelimit`: hard limit in seconds (first element).
    public var hardTimeLimit: Double?
    /// `timelimit`: soft limit in seconds (second element).
    public var softTimeLimit: Double?
    /// `root_id`: the first task of the workflow.
    public var rootId: String?
    /// `parent_id`: the task that sent this one.
    public var parentId: String?
    /// `argsrepr`: display form of the arguments.
    public var argsrepr: String?
    /// `kwargsrepr`: display form of the keyword arguments.
    public var kwargsrepr: String?
    /// `origin`: `gen<pid>@<host>` of the sender.
    public var origin: String?
    /// `ignore_result`: do not store the result.
    public var ignoreResult: Bool = false
    /// `replaced_task_nesting`.
    public var replacedTaskNesting: Int = 0
    /// `stamped_headers`.
    public var stampedHeaders: JSONValue = .null
    /// `stamps`.
    public var stamps: JSONValue = .object([:])
    /// Headers this type has no field for, kept as received.
    public var extraHeaders: [String: JSONValue] = [:]

    // MARK: Body
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: [String: JSONValue]
    /// Callbacks, errbacks, chain and chord.
    public var embed: Embed = Embed()

    // MARK: Properties
    /// `reply_to`: the sender's id.
    public var replyTo: String?
    /// `priority`.
    public var priority: Int?
    /// `delivery_mode` (2 = persistent).
    public var deliveryMode: Int = 2

    /// A new message with Celery's defaults: `root_id` = id, reprs filled, `origin` set.
    public init(task: String, id: String = UUID().uuidString.lowercased(), args: [JSONValue] = [], kwargs: [String: JSONValue] = [:]) {
        self.task = task
        self.id = id
        self.args = args
        self.kwargs = kwargs
        self.rootId = id
        self.argsrepr = PythonRepr.args(args)
        self.kwargsrepr = PythonRepr.kwargs(kwargs)
        self.origin = Self.defaultOrigin
    }

    /// `gen<pid>@<hostname>`.
    public static let defaultOrigin: String = "gen\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"

    /// The protocol v2 headers as Celery writes them (every key present, nulls included).
    public var headers: [String: JSONValue] {
        var h = extraHeaders
        h["lang"] = .string(lang)
        h["task"] = .string(task)
        h["id"] = .string(id)
        h["shadow"] = shadow.map(JSONValue.string) ?? .null
        h["eta"] = eta.map { .string(CeleryDate.format($0)) } ?? .null
        h["expires"] = expires.map { .string(CeleryDate.format($0)) } ?? .null
        h["group"] = group.map(JSONValue.string) ?? .null
        h["group_index"] = groupIndex.map { .int(Int64($0)) } ?? .null
        h["retries"] = .int(Int64(retries))
        h["timelimit"] = [hardTimeLimit.map(JSONValue.double) ?? .null, softTimeLimit.map(JSONValue.double) ?? .null]
        h["root_id"] = rootId.map(JSONValue.string) ?? .null
        h["parent_id"] = parentId.map(JSONValue.string) ?? .null
        h["argsrepr"] = argsrepr.map(JSONValue.string) ?? .null
        h["kwargsrepr"] = kwargsrepr.map(JSONValue.string) ?? .null
        h["origin"] = origin.map(JSONValue.string) ?? .null
        h["ignore_result"] = .bool(ignoreResult)
        h["replaced_task_nesting"] = .int(Int64(replacedTaskNesting))
        h["stamped_headers"] = stampedHeaders
        h["stamps"] = stamps
        return h
    }

    /// The JSON body `[args, kwargs, embed]`.
    public func encodedBody() throws -> [UInt8] {
        let embedValue = embed == Embed() ? Self.emptyEmbed : try JSONCoding.value(of: embed)
        return try JSONCoding.encode(JSONValue.array([.array(args), .object(kwargs), embedValue]))
    }

    /// The transport-neutral message.
    public func brokerMessage() throws -> BrokerMessage {
        var expiration: Int?
        if let expires { expiration = max(0, Int(expires.timeIntervalSinceNow * 1000)) }
        return BrokerMessage(
            body: try encodedBody(), headers: headers, contentType: "application/json", contentEncoding: "utf-8",
            correlationId: id, replyTo: replyTo, deliveryMode: deliveryMode, priority: priority,
            expirationMilliseconds: expiration)
    }

    static let emptyEmbed: JSONValue = ["callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil]

    /// Decodes a protocol v2 task message. Throws ``CeleryError`` (`decoding`) with the reason
    /// for a wrong content type, a body that is not JSON or not `[args, kwargs, embed]`, or a
    /// missing `task`/`id` header; the error names the task id when it is known.
    public init(_ m: BrokerMessage) throws {
        if let err = m.decodeError { throw CeleryError(.decoding, err) }
        // One pass over the headers (no lookup per field, no hashing).
        var task: String?
        var id: String?
        var eta: JSONValue?
        var expires: JSONValue?
        for (key, value) in m.headers {
            switch key {
            case "task": task = value.stringValue
            case "id": id = value.stringValue
            case "lang": lang = value.stringValue ?? "py"
            case "shadow": shadow = value.stringValue
            case "eta": eta = value
            case "expires": expires = value
            case "group": group = value.stringValue
            case "group_index": groupIndex = value.intValue.map(Int.init)
            case "retries": retries = value.intValue.map(Int.init) ?? 0
            case "timelimit":
                if case .array(let tl) = value {
                    hardTimeLimit = tl.first?.doubleValue
                    softTimeLimit = tl.count > 1 ? tl[1].doubleValue : nil
                }
            case "root_id": rootId = value.stringValue
            case "parent_id": parentId = value.stringValue
            case "argsrepr": argsrepr = value.stringValue
            case "kwargsrepr": kwargsrepr = value.stringValue
            case "origin": origin = value.stringValue
            case "ignore_result": ignoreResult = value.boolValue ?? false
            case "replaced_task_nesting": replacedTaskNesting = value.intValue.map(Int.init) ?? 0
            case "stamped_headers": stampedHeaders = value
            case "stamps": stamps = value
            default: extraHeaders[key] = value
            }
        }
        guard let task else {
            throw CeleryError(.decoding, "not a Celery protocol v2 task message (no 'task' header)")
        }
        guard let id = id ?? m.correlationId else {
            throw CeleryError(.decoding, "task message for \(task) has no 'id' header")
        }
        let ct = m.contentType.lowercased()
        guard ct == "application/json" || ct == "application/x-json" else {
            throw CeleryError(
                .decoding, "task \(task)[\(id)]: content type '\(m.contentType)' refused (only application/json is accepted)")
        }
        let parts: (args: [JSONValue], kwargs: [String: JSONValue], embed: JSONValue?)?
        do { parts = try JSONParser.parseTaskBody(m.body) } catch {
            throw CeleryError(.decoding, "task \(task)[\(id)]: body is not valid JSON")
        }
        guard let parts else {
            if (try? JSONCoding.parse(m.body)) == nil { throw CeleryError(.decoding, "task \(task)[\(id)]: body is not valid JSON") }
            throw CeleryError(.decoding, "task \(task)[\(id)]: body is not [args, kwargs, embed]")
        }
        self.task = task
        self.id = id
        self.args = parts.args
        self.kwargs = parts.kwargs
        if let e = parts.embed, !(e.objectValue?.values.allSatisfy(\.isNull) ?? false) {
            do { embed = try JSONCoding.convert(e, to: Embed.self) } catch {
                throw CeleryError(.decoding, "task \(task)[\(id)]: embed is malformed")
            }
        }
        self.eta = try Self.date(eta, "eta", task, id)
        self.expires = try Self.date(expires, "expires", task, id)
        replyTo = m.replyTo
        priority = m.priority
        deliveryMode = m.deliveryMode
    }

    private static func date(_ v: JSONValue?, _ name: String, _ task: String, _ id: String) throws -> Date? {
        guard let v, !v.isNull else { return nil }
        guard let s = v.stringValue, let d = CeleryDate.parse(s) else {
            throw CeleryError(.decoding, "task \(task)[\(id)]: header '\(name)' is not an ISO-8601 date: \(v)")
        }
        return d
    }
}
