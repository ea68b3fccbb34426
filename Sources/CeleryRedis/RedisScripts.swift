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

    /// Runs the script on a pooled connection, on the caller's executor (no thread hop from
    /// the consumer's event loop).
    nonisolated(nonsending) func run(_ pool: RedisConnectionPool, keys: [String], args: [RESPValue]) async throws -> RESPValue {
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
    /// first, `RPOP key count`) and, in the same atomic step, records them as unacknowledged
    /// exactly as kombu does (`unacked_index` score = now, `unacked` hash =
    /// `[envelope, "", queue]`) with one `ZADD` and one `HSET` for the batch. It never decodes
    /// JSON: the delivery tag is the last `"delivery_tag": "…"` in the envelope (kombu's and
    /// our envelopes put `properties` last, so it is looked for in the last 400 bytes with
    /// plain `string.find`s first; a JSON string cannot hold an unescaped `"`, so the match is
    /// a real key); an envelope without one gets `<ARGV[2]>.<n>` and, unless it looks like a
    /// JSON object, is recorded as a JSON string.
    ///
    /// Delivery counts cost nothing for a first delivery: only an envelope carrying the
    /// `"redelivered"` mark in that tail (kombu's restore and ours set
    /// `properties.delivery_info.redelivered`) gets `HINCRBY <count hash> tag 1`, so the hash
    /// holds a message's redeliveries and its delivery count is that + 1.
    ///
    /// Returns `[tags, counts, envelopes…]`: the tags in pop order; `counts` as flat
    /// `position, delivery count` pairs (1-based positions) for the redelivered messages only
    /// (everything else was delivered for the first time: count 1); then the `RPOP` replies
    /// themselves (one array per list that had messages, in order: their concatenation lines
    /// up with `tags`). An empty array when every list is empty.
    /// KEYS: lists…, unacked, unacked_index, delivery count hash.
    /// ARGV: now (seconds), fallback tag prefix, queue name as a JSON string, most messages.
    static let pop = RedisScript(
        """
        local n = #KEYS - 3
        local uk, ik, ck = KEYS[n + 1], KEYS[n + 2], KEYS[n + 3]
        local now, qjson = ARGV[1], ARGV[3]
        local want = tonumber(ARGV[4]) or 1
        local find, match, byte = string.find, string.match, string.byte
        local reply, tags, counts, z, h = {0, 0}, {}, {}, {}, {}
        local got, nc = 0, 0
        for i = 1, n do
          if got >= want then break end
          local raws = redis.call('RPOP', KEYS[i], want - got)
          if raws then
            reply[#reply + 1] = raws
            for _, raw in ipairs(raws) do
              got = got + 1
              local len = #raw
              local s = len - 400
              if s < 1 then s = 1 end
              -- The last "delivery_tag" key in the tail, with plain finds; the whole
              -- envelope only if the tail has none.
              local tag
              local t = s
              while true do
                local a, b = find(raw, '"delivery_tag"', t, true)
                if not a then break end
                tag = match(raw, '^%s*:%s*"([^"\\\\]+)"', b + 1) or tag
                t = b + 1
              end
              if not tag and len > 400 then
                for x in string.gmatch(raw, '"delivery_tag"%s*:%s*"([^"\\\\]+)"') do tag = x end
              end
              tag = tag or (ARGV[2] .. '.' .. got)
              local entry
              if byte(raw, 1) == 123 and byte(raw, len) == 125 then
                entry = '[' .. raw .. ', "", ' .. qjson .. ']'
              else
                entry = '[' .. cjson.encode(raw) .. ', "", ' .. qjson .. ']'
              end
              local ra, rb = find(raw, '"redelivered"', s, true)
              if ra and find(raw, '^%s*:%s*true', rb + 1) then
                counts[nc + 1] = got
                counts[nc + 2] = redis.call('HINCRBY', ck, tag, 1) + 1
                nc = nc + 2
              end
              tags[got] = tag
              z[2 * got - 1] = now
              z[2 * got] = tag
              h[2 * got - 1] = tag
              h[2 * got] = entry
            end
          end
        end
        if got == 0 then return {} end
        redis.call('ZADD', ik, unpack(z))
        redis.call('HSET', uk, unpack(h))
        reply[1] = tags
        reply[2] = counts
        return reply
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
