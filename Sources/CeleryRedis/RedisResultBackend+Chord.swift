import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RESP

/// Celery's native chord join on Redis, with its keys, so Python workers and ours can share
/// one chord: `celery-taskset-meta-<gid>.s` (size, set by the client), `.t` (members added
/// later), `.j` (sorted set of `[1, id, state, result]` scored by `group_index`), `.d` (members
/// already counted, `id:index`, so a redelivered member counts once) and `.c` (the claim on
/// sending the body; `done` once it was sent). Every key gets the result expiry.
extension RedisResultBackend: ChordJoiningBackend {
    /// Seconds the member that completed a chord holds the right to send its body.
    static let chordClaimSeconds = 10
    /// Seconds the `done` marker keeps late copies of a member from starting the chord again.
    static let chordDoneSeconds = 300

    static func chordKey(_ gid: String, _ suffix: String) -> String { RedisKeys.groupMeta(gid) + suffix }

    var chordExpirySeconds: Int { expires.map { max(1, Int($0.components.seconds)) } ?? 0 }

    /// Nothing to prepare (Celery saves the header only when a member is itself a group, which
    /// cannot happen here: nested groups are flattened when the header is frozen). Joins natively.
    public func applyChord(groupId: String, header: ResultTuple, body: Signature) async throws -> Bool { true }

    /// `DEL .c`, then `SET .s <size> EX <result expiry>` (Celery's `set_chord_size`).
    public func setChordSize(groupId: String, size: Int) async throws {
        try await mappingErrors("setting the size of chord \(groupId)", displayURL) {
            var set: [RESPValue] = ["SET", RESPValue(Self.chordKey(groupId, ".s")), RESPValue(size)]
            if chordExpirySeconds > 0 { set += ["EX", RESPValue(chordExpirySeconds)] }
            _ = try await pool.pipeline([["DEL", RESPValue(Self.chordKey(groupId, ".c"))], set])
        }
    }

    /// One script: count the member once (`.d`), `ZADD .j`, refresh the expiries, compare the
    /// count with `.s` + `.t` and, when complete, claim `.c` and return the ordered members.
    public func chordPartReturned(groupId: String, taskId: String, groupIndex: Int?, state: TaskState, result: JSONValue) async throws
        -> ChordJoin?
    {
        try await mappingErrors("recording chord member \(taskId) of \(groupId)", displayURL) { () async throws -> ChordJoin? in
            let encoded = try JSONCoding.encode(JSONValue.array([1, .string(taskId), .string(state.rawValue), result]))
            let token = UUID().uuidString.lowercased()
            let reply = try await RedisScript.chordPart.run(
                pool, keys: [".j", ".t", ".s", ".d", ".c"].map { Self.chordKey(groupId, $0) },
                args: [
                    RESPValue(taskId), RESPValue(bytes: encoded), RESPValue(groupIndex.map(String.init) ?? "+inf"),
                    RESPValue(chordExpirySeconds), RESPValue(Self.chordClaimSeconds), RESPValue(token),
                ])
            guard let items = reply.array, items.count == 2, let members = items[1].array else { return nil }
            let parts = try members.map { m -> ChordJoin.Part in
                guard let bytes = m.bytes, case .array(let t) = try JSONCoding.parse(bytes), t.count == 4, let id = t[1].stringValue,
                    let st = t[2].stringValue
                else { throw CeleryError(.decoding, "chord \(groupId): malformed member in .j") }
                return ChordJoin.Part(taskId: id, state: TaskState(st), result: t[3])
            }
            return ChordJoin(parts: parts, claim: token)
        }
    }

    /// Deletes `.j .t .s .d` and marks `.c` done, if the claim is still ours.
    public func chordFinished(groupId: String, join: ChordJoin) async throws {
        try await mappingErrors("cleaning up chord \(groupId)", displayURL) {
            _ = try await RedisScript.chordCleanup.run(
                pool, keys: [".c", ".j", ".t", ".s", ".d"].map { Self.chordKey(groupId, $0) },
                args: [RESPValue(join.claim), RESPValue(Self.chordDoneSeconds)])
        }
    }
}

extension RedisScript {
    /// KEYS: .j .t .s .d .c; ARGV: task id, encoded member, score, expiry s, claim s, claim token.
    /// Returns `{count, members-or-false}`; `{-1, false}` once the chord is done.
    static let chordPart = RedisScript(
        """
        local j, t, s, d, c = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
        if redis.call('GET', c) == 'done' then return {-1, false} end
        local seen = ARGV[1] .. ':' .. ARGV[3]
        if redis.call('SISMEMBER', d, seen) == 0 then
          redis.call('ZADD', j, ARGV[3], ARGV[2])
          redis.call('SADD', d, seen)
        end
        local count = redis.call('ZCOUNT', j, '-inf', '+inf')
        local ttl = tonumber(ARGV[4])
        if ttl > 0 then
          for _, k in ipairs({j, t, s, d}) do redis.call('EXPIRE', k, ttl) end
        end
        local size = redis.call('GET', s)
        if size and count == tonumber(size) + (tonumber(redis.call('GET', t)) or 0) then
          if redis.call('SET', c, ARGV[6], 'NX', 'EX', tonumber(ARGV[5])) then
            return {count, redis.call('ZRANGE', j, 0, -1)}
          end
        end
        return {count, false}
        """)

    /// KEYS: .c .j .t .s .d; ARGV: claim token, seconds to keep the `done` marker.
    static let chordCleanup = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
          redis.call('SET', KEYS[1], 'done', 'EX', tonumber(ARGV[2]))
          return 1
        end
        return 0
        """)
}
