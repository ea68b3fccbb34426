import CeleryRedis

enum RedisLeaseFactory {
    static func make(url: String, key: String) throws -> RedisBeatLease { try RedisBeatLease(url: url, key: key) }
}
