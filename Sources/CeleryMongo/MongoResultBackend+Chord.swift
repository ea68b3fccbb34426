import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How chords sent through a ``MongoResultBackend`` join (``MongoBackendOptions/chordJoin``).
public enum MongoChordJoin: Sendable, Hashable {
    /// An atomic counter on the chord's `celery_groupmeta` document: each header member, when
    /// ready, adds `"<id>:<index>"` to `chord_done` (`findAndModify` with `$addToSet`, so a
    /// redelivered member counts once); the member that makes it complete claims `chord_claim`
    /// (`findAndModify` on `chord_claim: null`) and sends the body. No task polls.
    case counter
    /// Celery's `celery.chord_unlock`, retried every second until the header is ready.
    case unlock
}

/// Chords on MongoDB without polling for our own clients, and `celery.backend_cleanup`.
/// A chord sent by Python Celery has no counter document and joins through `celery.chord_unlock`.
extension MongoResultBackend: ChordJoiningBackend, ResultCleaning {
    /// With ``MongoChordJoin/counter``: writes the group document (Celery's fields plus
    /// `chord_size: null`, `chord_done: []`, `chord_claim: null`) and joins natively.
    public func applyChord(groupId: String, header: ResultTuple, body: Signature) async throws -> Bool {
        guard options.chordJoin == .counter else { return false }
        try await prepareIfNeeded()
        let fields = try codec.groupDocument(id: groupId, taskIds: header.leafIds) + [
            BSONField("chord_size", .null), BSONField("chord_done", .array([])), BSONField("chord_claim", .null),
        ]
        let collection = options.groupCollection
        let writeOptions = self.writeOptions
        try await executor.run { client in
            let doc = try BSONDocument(fields)
            guard doc.byteCount <= MongoTaskDocument.maxDocumentBytes else {
                throw CeleryError(.tooLarge, "chord \(groupId) with \(header.leafIds.count) members exceeds MongoDB's 16 MiB document limit")
            }
            _ = try client.collection(collection).replaceOne(filter: [BSONField("_id", .string(groupId))], replacement: doc, options: writeOptions)
        }
        return true
    }

    /// `$set chord_size` on a counter chord's document (no effect on other groups).
    public func setChordSize(groupId: String, size: Int) async throws {
        _ = try await findAndModify(
            query: [BSONField("_id", .string(groupId)), BSONField("chord_done", .document([BSONField("$exists", .bool(true))]))],
            update: [BSONField("$set", .document([BSONField("chord_size", .integer(Int64(size)))]))])
    }

    /// Adds the member to `chord_done`; when that completes the chord, claims it and returns
    /// the members' stored results in header order. `nil` for groups without a counter.
    public func chordPartReturned(groupId: String, taskId: String, groupIndex: Int?, state: TaskState, result: JSONValue) async throws
        -> ChordJoin?
    {
        let member = "\(taskId):\(groupIndex.map(String.init) ?? "+inf")"
        guard let doc = try await findAndModify(
                query: [BSONField("_id", .string(groupId)), BSONField("chord_done", .document([BSONField("$exists", .bool(true))]))],
                update: [BSONField("$addToSet", .document([BSONField("chord_done", .string(member))]))])
        else { return nil }
        guard let size = doc[field: "chord_size"]?.intValue, case .array(let done)? = doc[field: "chord_done"], done.count >= Int(size)
        else { return nil }
        let token = UUID().uuidString.lowercased()
        guard try await findAndModify(
                query: [BSONField("_id", .string(groupId)), BSONField("chord_claim", .null)],
                update: [BSONField("$set", .document([BSONField("chord_claim", .string(token))]))]) != nil
        else { return nil }
        let ids = try codec.taskIds(fromGroup: doc, id: groupId)
        var parts: [ChordJoin.Part] = []
        for id in ids {
            let m = id == taskId ? TaskMeta(taskId: id, status: state, result: result) : try await meta(for: id)
            guard let m else { throw CeleryError(.invalidState, "chord \(groupId): member \(id) counted but has no stored result") }
            parts.append(ChordJoin.Part(taskId: id, state: m.status, result: m.result))
        }
        return ChordJoin(parts: parts, claim: token)
    }

    /// Marks the chord done (`chord_claim: "done"`); the document stays as Celery's saved group.
    public func chordFinished(groupId: String, join: ChordJoin) async throws {
        _ = try await findAndModify(
            query: [BSONField("_id", .string(groupId)), BSONField("chord_claim", .string(join.claim))],
            update: [BSONField("$set", .document([BSONField("chord_claim", .string("done"))]))])
    }

    /// `findAndModify` on the group collection, returning the updated document (or `nil`).
    func findAndModify(query: [BSONField], update: [BSONField]) async throws -> [BSONField]? {
        let collection = options.groupCollection
        let writeOptions = self.writeOptions
        return try await executor.run { client in
            let reply = try client.command(
                [
                    BSONField("findAndModify", .string(collection)), BSONField("query", .document(query)),
                    BSONField("update", .document(update)), BSONField("new", .bool(true)),
                ] + writeOptions)
            if case .document(let d)? = reply[field: "value"] { return d }
            return nil
        }
    }
}
