#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension BeatScheduler {
    /// Whether this process may send now: no lease configured, or a lease held and still
    /// safely valid on the monotonic clock.
    public var isLeader: Bool {
        guard lease != nil else { return true }
        guard let v = validUntil else { return false }
        return clock.uptime() < v
    }

    /// Safety margin: sending stops this long before the lease can have expired.
    var leaseMargin: Duration { options.leaseTTL / 10 }

    /// Acquires or renews the lease when due. Validity is counted from the moment the
    /// request was sent, so a slow reply cannot stretch it.
    func maintainLease() async {
        guard let lease else { return }
        let before = clock.uptime()
        if let v = validUntil, before >= v {
            validUntil = nil
            sawOtherHolder = true  // it may have expired: someone else may hold it now
            stats.losses += 1
            logger.warning("beat: lease not renewed in time; stopped sending")
        }
        guard before >= renewAt else { return }
        let ttl = options.leaseTTL
        let holding = validUntil != nil
        do {
            let ok = holding ? try await lease.renew(holder: holder, ttl: ttl) : try await lease.acquire(holder: holder, ttl: ttl)
            if ok {
                if !holding {
                    stats.acquisitions += 1
                    if sawOtherHolder {
                        baseline = clock.now()
                        logger.notice("beat: took over the lease (\(lease.displayName)); sending ticks due from now on")
                    } else {
                        logger.info("beat: acquired the lease (\(lease.displayName))")
                    }
                    sawOtherHolder = false
                }
                validUntil = before + ttl - leaseMargin
                renewAt = before + ttl / 3
            } else {
                if holding {
                    stats.losses += 1
                    logger.warning("beat: lost the lease to another beat; stopped sending")
                }
                validUntil = nil
                sawOtherHolder = true
                renewAt = before + ttl / 3
            }
        } catch {
            logger.error("beat: lease \(holding ? "renewal" : "acquisition") failed: \(error)")
            renewAt = before + max(.milliseconds(1), ttl / 10)
        }
    }

    /// Gives the lease up (clean stop).
    func releaseLease() async {
        guard let lease, validUntil != nil else { return }
        validUntil = nil
        do { try await lease.release(holder: holder) } catch {
            logger.warning("beat: releasing the lease failed: \(error) (it expires by itself)")
        }
    }
}
