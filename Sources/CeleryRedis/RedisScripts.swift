import Celery
import RESP

/// The Lua scripts that make the Redis transport's multi-key steps atomic. Each runs with
/// `EVALSHA` (falling back to `EVAL`, which caches it, on `NOSCRIPT`).
struct RedisScript: Sendable {
    let source: String
    let sha1: String

    init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(Array(source.utf8))
    }

    /// Runs the script on a pooled connection.
    func run(_ pool: RedisConnectionPool, keys: [String], args: [RESPValue]) async throws -> RESPValue {
        let command = evalshaCommand(keys: keys, args: args)
        do {
            return try await pool.send(command)
        } catch let e as RESPError where e.serverCode == "NOSCRIPT" {
            // Same arguments after the script itself instead of its digest.
            return try await pool.send([RESPValue("EVAL"), RESPValue(source)] + command.dropFirst(2))
        }
    }

    /// `EVALSHA` of the script, for a pipeline (which must handle a `NOSCRIPT` reply itself).
    func evalshaCommand(keys: [String], args: [RESPValue]) -> [RESPValue] {
        [RESPValue("EVALSHA"), RESPValue(sha1), RESPValue(keys.count)] + keys.map { RESPValue($0) } + args
    }

    /// Pops up to ARGV[4] messages, oldest first, from the lists KEYS[1…n] (highest priority
    /// first) and, in the same atomic step, records each as unacknowledged exactly as kombu
    /// does (`unacked_index` score = now, `unacked` hash = `[envelope, "", queue]`) and counts
    /// its delivery. Returns a flat array of `list, envelope, delivery_tag, delivery_count`
    /// per message (empty when every list is empty).
    /// KEYS: lists…, unacked, unacked_index, delivery count hash.
    /// ARGV: now (seconds), fallback tag prefix (for envelopes without a tag), queue name, most messages.
    static let pop = RedisScript(
        """
        local n = #KEYS - 3
        local uk, ik, ck = KEYS[n + 1], KEYS[n + 2], KEYS[n + 3]
        local want = tonumber(ARGV[4]) or 1
        local out = {}
        local got = 0
        local i = 1
        while got < want and i <= n do
          local raw = redis.call('RPOP', KEYS[i])
          if raw then
            got = got + 1
            local tag = ARGV[2] .. '.' .. got
            local ok, env = pcall(cjson.decode, raw)
            local entry
            if ok and type(env) == 'table' then
              if type(env.properties) == 'table' and type(env.properties.delivery_tag) == 'string' then
                tag = env.properties.delivery_tag
              end
              entry = '[' .. raw .. ', "", ' .. cjson.encode(ARGV[3]) .. ']'
            else
              entry = '[' .. cjson.encode(raw) .. ', "", ' .. cjson.encode(ARGV[3]) .. ']'
            end
            redis.call('ZADD', ik, ARGV[1], tag)
            redis.call('HSET', uk, tag, entry)
            local count = redis.call('HINCRBY', ck, tag, 1)
            out[#out + 1] = KEYS[i]
            out[#out + 1] = raw
            out[#out + 1] = tag
            out[#out + 1] = count
          else
            i = i + 1
          end
        end
        return out
        """)

    /// Acknowledges: removes each tag's unacked record and delivery count. Returns, per tag,
    /// 1 if its record existed. KEYS: unacked, unacked_index, count hash. ARGV: tags.
    static let ack = RedisScript(
        """
        local out = {}
        for i, tag in ipairs(ARGV) do
          redis.call('ZREM', KEYS[2], tag)
          redis.call('HDEL', KEYS[3], tag)
          out[i] = redis.call('HDEL', KEYS[1], tag)
        end
        return out
        """)

    /// Puts an unacked message back on a list (RPUSH: delivered next) if its record is still
    /// the one the caller read (so two restorers cannot both push it). Keeps the delivery
    /// count. KEYS: unacked, unacked_index, destination list. ARGV: tag, expected record,
    /// payload to push.
    static let restore = RedisScript(
        """
        local cur = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        if cur ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('RPUSH', KEYS[3], ARGV[3])
        return 1
        """)

    /// Moves an unacked message to a dead-letter list with a record of why. KEYS: unacked,
    /// unacked_index, count hash, dead-letter list. ARGV: tag, record.
    static let deadLetter = RedisScript(
        """
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[3], ARGV[1])
        if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
        redis.call('LPUSH', KEYS[4], ARGV[2])
        return 1
        """)

    /// Refreshes a running delivery's `unacked_index` score (only if it is still there).
    /// KEYS: unacked_index. ARGV: now, tag.
    static let touch = RedisScript(
        """
        if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
          redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
          return 1
        end
        return 0
        """)

    /// Releases a lock only if this process still holds it. KEYS: lock. ARGV: token.
    static let unlock = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// Stores task meta unless that would replace a ready state with a state that is not
    /// ready, then publishes it on the key's channel (Celery's wake-up). Atomic, so it holds
    /// under concurrent writers. KEYS: meta key. ARGV: JSON, ttl seconds, "1" if the new
    /// state is ready. Returns 1 if written.
    static let storeMeta = RedisScript(
        """
        if ARGV[3] ~= '1' then
          local cur = redis.call('GET', KEYS[1])
          if cur then
            local ok, m = pcall(cjson.decode, cur)
            if ok and type(m) == 'table' and (m.status == 'SUCCESS' or m.status == 'FAILURE' or m.status == 'REVOKED') then
              return 0
            end
          end
        end
        if tonumber(ARGV[2]) > 0 then
          redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        else
          redis.call('SET', KEYS[1], ARGV[1])
        end
        redis.call('PUBLISH', KEYS[1], ARGV[1])
        return 1
        """)
}
