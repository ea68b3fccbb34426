import Celery
import Synchronization

/// Writes task results in batches (group commit): a result stored while no bulk write is in
/// flight goes at once; results stored meanwhile queue and leave together in the next
/// unordered bulk write of replace-upserts (up to ``MongoBackendOptions/maxBatchedWrites``),
/// one round trip for the batch.
///
/// Each write keeps the rules of a single ``MongoResultBackend/store(_:)``: the document
/// shape is Celery's, and a write of a state that is not ready is conditional on the stored
/// state not being ready, so a stale STARTED or PROGRESS never replaces SUCCESS, FAILURE or
/// REVOKED. Within one batch the writes for one task collapse to the last one, except that a
/// ready state is never replaced by a later non-ready one (that write reports `false`).
/// A failed bulk write (no server) fails every write of its batch; callers retry.
final class MongoResultWriter: Sendable {
    struct Write: Sendable {
        let id: String
        let ready: Bool
        let fields: [BSONField]
    }
    private struct Waiting {
        let write: Write
        let done: CheckedContinuation<Bool, any Error>
    }
    private struct State {
        var queue: [Waiting] = []
        var running = false
    }
    private let state = Mutex(State())
    let executor: MongoExecutor
    let collection: String
    let writeOptions: [BSONField]
    let maxBatch: Int

    init(executor: MongoExecutor, collection: String, writeOptions: [BSONField], maxBatch: Int) {
        self.executor = executor
        self.collection = collection
        self.writeOptions = writeOptions
        self.maxBatch = max(1, maxBatch)
    }

    /// Stores one result with the next batch; `false` when it was stale (not stored).
    func write(_ w: Write) async throws -> Bool {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Bool, any Error>) in
            let start = state.withLock { s -> Bool in
                s.queue.append(Waiting(write: w, done: c))
                if s.running { return false }
                s.running = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                if s.queue.isEmpty {
                    s.running = false
                    return []
                }
                let n = min(s.queue.count, maxBatch)
                let b = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                return b
            }
            if batch.isEmpty { return }
            let writes = batch.map(\.write)
            let (collection, options) = (self.collection, self.writeOptions)
            do {
                let results = try await executor.run { client in
                    try Self.apply(writes, to: client.collection(collection), options: options)
                }
                for (w, r) in zip(batch, results) { w.done.resume(with: r) }
            } catch {
                for w in batch { w.done.resume(throwing: error) }
            }
        }
    }

    /// The batch's writes on one collection; one result per write, in order.
    static func apply(_ writes: [Write], to coll: MongoCollectionHandle, options: [BSONField]) throws -> [Result<Bool, any Error>] {
        var results = [Result<Bool, any Error>](repeating: .success(true), count: writes.count)
        // The write that stands for each task id in this batch.
        var chosen: [String: Int] = [:]
        chosen.reserveCapacity(writes.count)
        var order: [Int] = []
        for (i, w) in writes.enumerated() {
            if let j = chosen[w.id] {
                if writes[j].ready && !w.ready {
                    results[i] = .success(false)
                    continue
                }
                order.removeAll { $0 == j }
            }
            chosen[w.id] = i
            order.append(i)
        }
        var ops: [MongoCollectionHandle.BulkReplace] = []
        var opIndex: [Int] = []
        for i in order {
            let w = writes[i]
            let replacement: BSONDocument
            do {
                replacement = try BSONDocument(w.fields)
            } catch {
                results[i] = .failure(error)
                continue
            }
            guard replacement.byteCount <= MongoTaskDocument.maxDocumentBytes else {
                results[i] = .failure(CeleryError(
                    .tooLarge,
                    "result of task \(w.id) is \(replacement.byteCount) bytes as a BSON document; MongoDB stores at most \(MongoTaskDocument.maxDocumentBytes) bytes (16 MiB)"))
                continue
            }
            ops.append(.init(filter: filter(w), replacement: replacement))
            opIndex.append(i)
        }
        let outcomes: [MongoCollectionHandle.UpsertOutcome]
        if ops.count == 1 {
            outcomes = [try coll.replaceOne(filter: ops[0].filter, replacement: ops[0].replacement, options: options)]
        } else {
            outcomes = try coll.bulkReplace(ops, options: options)
        }
        for (k, outcome) in outcomes.enumerated() where outcome == .duplicateKey {
            // The stored state is ready (a stale write: not stored), or another writer
            // inserted the document between our match and our insert: one more try decides.
            let again = try coll.replaceOne(filter: ops[k].filter, replacement: ops[k].replacement, options: options)
            results[opIndex[k]] = .success(again == .written)
        }
        return results
    }

    static func filter(_ w: Write) -> [BSONField] {
        var filter = [BSONField("_id", .string(w.id))]
        if !w.ready {
            filter.append(BSONField("status", .document([BSONField("$nin", .array(MongoResultBackend.readyStates))])))
        }
        return filter
    }
}
