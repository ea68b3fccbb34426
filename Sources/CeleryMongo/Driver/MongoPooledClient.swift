internal import CMongoC
import Celery

/// A client checked out of a ``MongoClientPool``; pushed back exactly once in `deinit`.
/// Lives on one worker thread for one operation.
final class MongoPooledClient {
    private let pool: MongoClientPool
    let client: OpaquePointer

    init(pool: MongoClientPool, client: OpaquePointer) {
        self.pool = pool
        self.client = client
    }

    deinit {
        pool.push(client)
    }

    /// The database named in the URL (or `celery`).
    var databaseName: String { pool.databaseName }

    /// A collection of the URL's database.
    func collection(_ name: String) -> MongoCollectionHandle {
        MongoCollectionHandle(client: self, pointer: mongoc_client_get_collection(client, pool.databaseName, name), name: name)
    }

    /// Runs a command on the URL's database (or `database`) and returns the reply's fields.
    func command(_ command: [BSONField], database: String? = nil) throws -> [BSONField] {
        switch try commandOutcome(command, database: database) {
        case .success(let fields): return fields
        case .failure(let failure): throw failure.error
        }
    }

    /// A failed command with the server's error code (for codes a caller handles).
    struct CommandFailure: Error {
        var code: UInt32
        var error: CeleryError
    }

    /// Runs a command; a server refusal comes back as a failure with its code.
    func commandOutcome(_ command: [BSONField], database: String? = nil) throws -> Result<[BSONField], CommandFailure> {
        let cmd = try BSONDocument(command)
        let reply = MongoReply()
        var error = bson_error_t()
        let ok = mongoc_client_command_simple(client, database ?? pool.databaseName, cmd.pointer, nil, reply.pointer, &error)
        guard ok else {
            let code = error.code
            return .failure(CommandFailure(code: code, error: MongoErrors.error(&error, operation: command.first?.key ?? "command", pool: pool)))
        }
        return .success(try reply.fields())
    }

    /// Maps a libmongoc error with this pool's hosts and timeout.
    func error(_ error: inout bson_error_t, operation: String) -> CeleryError {
        MongoErrors.error(&error, operation: operation, pool: pool)
    }
}

/// Storage for a reply document that libmongoc initialises (even on failure); destroyed once.
final class MongoReply {
    let pointer: OpaquePointer

    init() {
        pointer = cmongoc_bson_storage_new()!
        bson_init(pointer)
    }

    deinit {
        bson_destroy(pointer)
        cmongoc_storage_free(UnsafeMutableRawPointer(pointer))
    }

    func fields() throws -> [BSONField] { try BSONDecoding.fields(of: pointer) }
}
