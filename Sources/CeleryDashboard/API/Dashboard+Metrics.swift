import RESP
import Celery
import Foundation

/// `GET /metrics`: Prometheus text exposition.
extension Dashboard {
    func metricsText() async -> String {
        var out = ""
        func label(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        func num(_ d: Double) -> String { d.isFinite ? String(d) : "NaN" }

        out += "# HELP celery_tasks Tasks seen through events since the dashboard started, by name and latest state.\n# TYPE celery_tasks gauge\n"
        for (name, byState) in cluster.countsByName.sorted(by: { $0.key < $1.key }) {
            for (state, n) in byState.sorted(by: { $0.key < $1.key }) {
                out += "celery_tasks{name=\"\(label(name))\",state=\"\(label(state))\"} \(n)\n"
            }
        }
        if let counts = storedCounts.current(app.backend as? any ResultQuerying) {
            out += "# HELP celery_stored_results Results in the result backend, by state (counted at most once a minute).\n# TYPE celery_stored_results gauge\n"
            for (state, n) in counts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out += "celery_stored_results{state=\"\(label(state.rawValue))\"} \(n)\n"
            }
        }
        out += "# HELP celery_task_runtime_seconds Task runtime (succeeded and failed), by name.\n# TYPE celery_task_runtime_seconds histogram\n"
        for (name, r) in cluster.runtimes.sorted(by: { $0.key < $1.key }) {
            let n = label(name)
            for (i, b) in RuntimeStats.buckets.enumerated() {
                out += "celery_task_runtime_seconds_bucket{name=\"\(n)\",le=\"\(num(b))\"} \(r.bucketCounts[i])\n"
            }
            out += "celery_task_runtime_seconds_bucket{name=\"\(n)\",le=\"+Inf\"} \(r.count)\n"
            out += "celery_task_runtime_seconds_sum{name=\"\(n)\"} \(num(r.sum))\n"
            out += "celery_task_runtime_seconds_count{name=\"\(n)\"} \(r.count)\n"
        }
        let now = Date().timeIntervalSince1970
        let workers = cluster.workers
        out += "# HELP celery_workers_online Workers online (heartbeat within the grace period).\n# TYPE celery_workers_online gauge\n"
        out += "celery_workers_online \(workers.filter { cluster.isOnline($0, now: now) }.count)\n"
        out += "# HELP celery_worker_up Whether a worker is online.\n# TYPE celery_worker_up gauge\n"
        for w in workers { out += "celery_worker_up{worker=\"\(label(w.hostname))\"} \(cluster.isOnline(w, now: now) ? 1 : 0)\n" }
        out += "# HELP celery_worker_active_tasks Tasks running at the last heartbeat.\n# TYPE celery_worker_active_tasks gauge\n"
        for w in workers { out += "celery_worker_active_tasks{worker=\"\(label(w.hostname))\"} \(w.active)\n" }
        if let queues = try? await queueInfos() {
            out += "# HELP celery_queue_messages Messages waiting in a queue.\n# TYPE celery_queue_messages gauge\n"
            for q in queues { out += "celery_queue_messages{queue=\"\(label(q.name))\"} \(q.messages)\n" }
            out += "# HELP celery_queue_latency_seconds Age of the oldest waiting message in a queue.\n# TYPE celery_queue_latency_seconds gauge\n"
            for q in queues { if let a = q.oldestAge { out += "celery_queue_latency_seconds{queue=\"\(label(q.name))\"} \(num(a))\n" } }
            out += "# HELP celery_queue_unacked Messages delivered and not yet acknowledged.\n# TYPE celery_queue_unacked gauge\n"
            for q in queues { if let u = q.unacked { out += "celery_queue_unacked{queue=\"\(label(q.name))\"} \(u)\n" } }
            out += "# HELP celery_queue_consumers Consumers attached to a queue (when the broker tells).\n# TYPE celery_queue_consumers gauge\n"
            for q in queues { if let c = q.consumers { out += "celery_queue_consumers{queue=\"\(label(q.name))\"} \(c)\n" } }
            out += "# HELP celery_queue_dead_letters Messages in a queue's dead-letter place.\n# TYPE celery_queue_dead_letters gauge\n"
            for q in queues { if let d = q.deadLetters { out += "celery_queue_dead_letters{queue=\"\(label(q.name))\"} \(d)\n" } }
        }
        out += "# HELP celery_dashboard_events_total Events received by the dashboard.\n# TYPE celery_dashboard_events_total counter\n"
        out += "celery_dashboard_events_total \(cluster.eventCount)\n"
        out += "# HELP celery_dashboard_events_dropped_total Events dropped under a burst (best-effort): in the dashboard's event buffer, or in the Redis pub/sub buffer of this process.\n# TYPE celery_dashboard_events_dropped_total counter\n"
        out += "celery_dashboard_events_dropped_total{buffer=\"dashboard\"} \(eventsDropped)\n"
        out += "celery_dashboard_events_dropped_total{buffer=\"redis_pubsub\"} \(RedisPushBuffer.dropped)\n"
        out += "# HELP celery_dashboard_tasks_in_memory Tasks held in the dashboard's ring.\n# TYPE celery_dashboard_tasks_in_memory gauge\n"
        out += "celery_dashboard_tasks_in_memory \(cluster.taskCount)\n"
        return out
    }
}
