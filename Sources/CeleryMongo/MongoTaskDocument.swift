import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Celery's `celery_taskmeta` and `celery_groupmeta` documents ⇄ ``TaskMeta`` and id lists.
///
/// Task: `{_id, status, result, traceback, children, date_done}` as Celery's MongoDB backend
/// writes them (children a native array, `date_done` a BSON datetime for ready states and
/// null otherwise), Celery's optional `group_id`, `parent_id` and extended fields `name, args,
/// kwargs, worker, retries, queue` (native BSON, as Celery writes them), plus our additive
/// `date_started` (datetime or null) and `runtime` (double seconds or null).
struct MongoTaskDocument {
    /// BSON's document limit (MongoDB's `maxBsonObjectSize`).
    static let maxDocumentBytes = 16 * 1024 * 1024

    let encoding: MongoResultEncoding

    /// The stored form of a value under this encoding.
    func encodeValue(_ value: JSONValue) throws -> BSONValue {
        switch encoding {
        case .bson: return BSONValue(json: value)
        case .json: return .string(String(decoding: try JSONCoding.encode(value), as: UTF8.self))
        }
    }

    /// Reads a stored value. A string is JSON text under `.json` (kept literally if it does
    /// not parse); other BSON values are converted natively whatever the encoding, so
    /// documents written either way are readable. Binary (pickle/msgpack) is an error.
    func decodeValue(_ value: BSONValue?, field: String, id: String) throws -> JSONValue {
        guard let value else { return .null }
        switch value {
        case .string(let s) where encoding == .json:
            return (try? JSONCoding.parse(Array(s.utf8))) ?? .string(s)
        case .binary(let subtype, let bytes):
            throw CeleryError(
                .decoding,
                "\(field) of \(id) is BSON binary (subtype \(subtype), \(bytes.count) bytes): written with a pickle/msgpack serializer; only json and bson results are readable")
        default:
            return value.json
        }
    }

    /// The document for a task meta.
    func document(for meta: TaskMeta) throws -> [BSONField] {
        var d: [BSONField] = [
            BSONField("_id", .string(meta.taskId)),
            BSONField("status", .string(meta.status.rawValue)),
            BSONField("result", try encodeValue(meta.result)),
            BSONField("traceback", meta.traceback.map(BSONValue.string) ?? .null),
            BSONField("children", .array(meta.children.map(BSONValue.init(json:)))),
            BSONField("date_done", meta.status.isReady ? .date(meta.dateDone ?? Date()) : .null),
        ]
        if let g = meta.groupId { d.append(BSONField("group_id", .string(g))) }
        if let p = meta.parentId { d.append(BSONField("parent_id", .string(p))) }
        if let v = meta.name { d.append(BSONField("name", .string(v))) }
        if let v = meta.args { d.append(BSONField("args", BSONValue(json: v))) }
        if let v = meta.kwargs { d.append(BSONField("kwargs", BSONValue(json: v))) }
        if let v = meta.worker { d.append(BSONField("worker", .string(v))) }
        if let v = meta.retries { d.append(BSONField("retries", .integer(Int64(v)))) }
        if let v = meta.queue { d.append(BSONField("queue", .string(v))) }
        d.append(BSONField("date_started", meta.dateStarted.map(BSONValue.date) ?? .null))
        d.append(BSONField("runtime", meta.runtime.map(BSONValue.double) ?? .null))
        return d
    }

    /// Reads a task document. A missing or non-string `status` is a ``CeleryError``
    /// (`decoding`); every other field is optional and an odd type reads as absent.
    func meta(from d: [BSONField], id fallbackId: String) throws -> TaskMeta {
        let id = d[field: "_id"].map { $0.json.stringValue ?? $0.json.description } ?? fallbackId
        guard let status = d[field: "status"]?.stringValue else {
            throw CeleryError(.decoding, "celery_taskmeta document \(id) has no string 'status'")
        }
        var meta = TaskMeta(taskId: id, status: TaskState(status))
        meta.result = try decodeValue(d[field: "result"], field: "result", id: id)
        meta.traceback = d[field: "traceback"]?.stringValue
        if case .array(let children)? = d[field: "children"] { meta.children = children.map(\.json) }
        meta.dateDone = Self.date(d[field: "date_done"])
        meta.dateStarted = Self.date(d[field: "date_started"])
        meta.runtime = d[field: "runtime"]?.doubleValue
        meta.groupId = d[field: "group_id"]?.stringValue
        meta.parentId = d[field: "parent_id"]?.stringValue
        meta.name = d[field: "name"]?.stringValue
        meta.args = d[field: "args"].flatMap { $0.isNull ? nil : $0.json }
        meta.kwargs = d[field: "kwargs"].flatMap { $0.isNull ? nil : $0.json }
        meta.worker = d[field: "worker"]?.stringValue
        meta.retries = d[field: "retries"]?.intValue.map { Int(clamping: $0) }
        meta.queue = d[field: "queue"]?.stringValue
        return meta
    }

    /// A datetime, or ISO-8601 text as other writers may store it.
    static func date(_ v: BSONValue?) -> Date? {
        switch v {
        case .date?: return v!.dateValue
        case .string(let s)?: return CeleryDate.parse(s)
        default: return nil
        }
    }

    /// The group document: `result` is the encoded list of task ids (Celery's `_save_group`).
    func groupDocument(id: String, taskIds: [String], date: Date = Date()) throws -> [BSONField] {
        [
            BSONField("_id", .string(id)),
            BSONField("result", try encodeValue(.array(taskIds.map(JSONValue.string)))),
            BSONField("date_done", .date(date)),
        ]
    }

    /// Reads a group document's task ids; a result that is not a list of strings is a
    /// ``CeleryError`` (`decoding`).
    func taskIds(fromGroup d: [BSONField], id: String) throws -> [String] {
        let value = try decodeValue(d[field: "result"], field: "group result", id: id)
        guard case .array(let items) = value else {
            throw CeleryError(.decoding, "celery_groupmeta document \(id): result is not a list of task ids")
        }
        return try items.map { item in
            if let s = item.stringValue { return s }
            // Celery may store result tuples `[id, parent]` for nested results.
            if case .array(let tuple) = item, let first = tuple.first?.stringValue { return first }
            throw CeleryError(.decoding, "celery_groupmeta document \(id): member \(item) is not a task id")
        }
    }
}
