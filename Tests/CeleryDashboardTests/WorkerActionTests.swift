import Celery
import CeleryDashboard
import Foundation
import Testing
import CeleryTestSupport

/// The Flower-compatible API and the actions, seen on a real in-process worker over Redis
/// with results in MongoDB.
@Suite(.serialized) struct WorkerActionTests {
    @Test func asyncApplyRunsOnAWorkerAndTheAPIReportsIt() async throws {
        let redis = try Servers.redis(), mongo = try Servers.mongo()
        let queue = Servers.unique("dash-q"), host = Servers.unique("dash-w") + "@test"
        let worker = try await startWorker(broker: redis, backend: mongo, queues: [queue], hostname: host)
        let d = try await LiveDashboard(broker: redis, backend: mongo, queues: [queue])
        defer { Task { await d.stop(); await stopWorker(worker) } }

        let sent = try await d.postJSON("/api/task/async-apply/tasks.add", ["args": [2, 3], "kwargs": [:], "options": ["queue": .string(queue)]])
        #expect(sent.status == 200, "\(sent.text)")
        let id = try #require(try sent.json()["task-id"]?.stringValue)
        #expect(try sent.json()["state"]?.stringValue == "PENDING")
        #expect(try await eventually { try await d.get("/api/task/info/\(id)").json()["state"]?.stringValue == "SUCCESS" })
        let info = try await d.get("/api/task/info/\(id)").json()
        #expect(info["name"]?.stringValue == "tasks.add")
        #expect(info["result"]?.stringValue == "5")
        #expect(info["worker"]?.stringValue == host)
        #expect(info["task-id"]?.stringValue == id)
        #expect(info["runtime"]?.doubleValue != nil)
        let result = try await d.get("/api/task/result/\(id)").json()
        #expect(result["state"]?.stringValue == "SUCCESS" && result["result"]?.intValue == 5)

        // /api/tasks: Flower's object of id → task, filtered.
        let tasks = try await d.get("/api/tasks?taskname=tasks.add&workername=\(host)&limit=10").json()
        #expect(tasks[id]?["state"]?.stringValue == "SUCCESS")
        #expect(try await d.get("/api/tasks?state=FAILURE&workername=\(host)").json().objectValue?[id] == nil)

        // /api/workers: Flower's inspections per worker, `conf` included.
        let workers = try await d.get("/api/workers?refresh=1").json()
        let me = try #require(workers[host])
        #expect(me["stats"]?["pool"]?["max-concurrency"]?.intValue == 2)
        #expect(me["registered"]?.arrayValue?.contains(.string("tasks.add")) == true)
        #expect(me["active_queues"]?.arrayValue?.contains { $0["name"]?.stringValue == queue } == true)
        #expect(me["conf"]?["worker_concurrency"]?.intValue == 2)
        #expect(me["conf"]?["broker_url"]?.stringValue == worker.2.broker.displayURL)
        #expect(try await d.get("/api/workers?status=1").json()[host]?.boolValue == true)
        #expect(try await d.get("/api/task/types").json()["task-types"]?.arrayValue?.contains(.string("tasks.add")) == true)

        // /metrics counts it.
        let metrics = try await d.get("/metrics").text
        #expect(metrics.contains("celery_tasks{name=\"tasks.add\",state=\"SUCCESS\"}"))
        #expect(metrics.contains("celery_task_runtime_seconds_count{name=\"tasks.add\"}"))
        #expect(metrics.contains("celery_worker_up{worker=\"\(host)\"} 1"))

        // The history survives a dashboard restart: a fresh dashboard finds it in MongoDB.
        let fresh = try await LiveDashboard(broker: redis, backend: mongo, queues: [queue])
        defer { Task { await fresh.stop() } }
        #expect(try await fresh.get("/api/tasks?taskname=tasks.add&limit=1000").json()[id]?["state"]?.stringValue == "SUCCESS")
        #expect(try await fresh.get("/api/task/info/\(id)").json()["state"]?.stringValue == "SUCCESS")
    }

    @Test func controlActionsChangeTheWorker() async throws {
        let redis = try Servers.redis(), mongo = try Servers.mongo()
        let queue = Servers.unique("dash-ctl"), host = Servers.unique("dash-c") + "@test"
        let worker = try await startWorker(broker: redis, backend: mongo, queues: [queue], hostname: host)
        let d = try await LiveDashboard(broker: redis, backend: mongo, queues: [queue])
        defer { Task { await d.stop(); await stopWorker(worker) } }

        let grow = try await d.request("POST", "/api/worker/pool/grow/\(host)?n=2")
        #expect(grow.status == 200, "\(grow.text)")
        #expect(worker.0.poolSize == 4)
        let shrink = try await d.request("POST", "/api/worker/pool/shrink/\(host)?n=1")
        #expect(shrink.status == 200)
        #expect(worker.0.poolSize == 3)
        let tooFar = try await d.request("POST", "/api/worker/pool/shrink/\(host)?n=5")
        #expect(tooFar.status == 200)  // shrinks the one added slot left
        #expect(worker.0.poolSize == 2)
        #expect(try await d.request("POST", "/api/worker/pool/shrink/\(host)?n=1").status == 409)

        let rl = try await d.request("POST", "/api/task/rate-limit/tasks.add", headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Data("workername=\(host)&ratelimit=10/m".utf8))
        #expect(rl.status == 200, "\(rl.text)")
        #expect(try rl.json()["message"]?.stringValue == "new rate limit set successfully")

        // Retry a failed task with its stored arguments.
        let failed = try await d.postJSON("/api/task/async-apply/tasks.fail", ["args": ["boom"], "options": ["queue": .string(queue)]])
        let fid = try #require(try failed.json()["task-id"]?.stringValue)
        #expect(try await eventually { try await d.get("/api/task/info/\(fid)").json()["state"]?.stringValue == "FAILURE" })
        #expect(try await d.get("/api/task/info/\(fid)").json()["exception"]?.stringValue?.contains("boom") == true)
        let retried = try await d.request("POST", "/api/task/retry/\(fid)")
        #expect(retried.status == 200, "\(retried.text)")
        let rid = try #require(try retried.json()["task-id"]?.stringValue)
        #expect(rid != fid)
        #expect(try await eventually { try await d.get("/api/task/info/\(rid)").json()["state"]?.stringValue == "FAILURE" })
        #expect(try await d.get("/api/task/info/\(rid)").json()["args"]?.stringValue?.contains("boom") == true)

        // Shutdown through the dashboard stops the worker.
        #expect(try await d.request("POST", "/api/worker/shutdown/\(host)").status == 200)
        let stopped = await withTaskGroup(of: Bool.self) { g in
            g.addTask { await worker.0.waitUntilFinished(); return true }
            g.addTask { try? await Task.sleep(for: .seconds(30)); return false }
            let first = await g.next()!
            g.cancelAll()
            return first
        }
        #expect(stopped)
    }

    @Test func revokingATaskWaitingForItsCountdownShowsRevokedAtOnce() async throws {
        let redis = try Servers.redis(), mongo = try Servers.mongo()
        let queue = Servers.unique("dash-rv"), host = Servers.unique("dash-r") + "@test"
        let worker = try await startWorker(broker: redis, backend: mongo, queues: [queue], hostname: host)
        let d = try await LiveDashboard(broker: redis, backend: mongo, queues: [queue])
        defer { Task { await d.stop(); await stopWorker(worker) } }
        let sent = try await d.postJSON("/api/task/async-apply/tasks.add", ["args": [1, 1], "options": ["queue": .string(queue), "countdown": 120]])
        let id = try #require(try sent.json()["task-id"]?.stringValue)
        #expect(await eventually { worker.0.scheduledTasks.contains { $0.id == id } })
        #expect(try await d.request("POST", "/api/task/revoke/\(id)").json()["message"]?.stringValue == "Revoked '\(id)'")
        let start = ContinuousClock.now
        #expect(try await eventually(.seconds(5)) { try await worker.2.backend?.meta(for: id)?.status == .revoked })
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(!worker.0.scheduledTasks.contains { $0.id == id })
        #expect(try await eventually { try await d.get("/api/task/info/\(id)").json()["state"]?.stringValue == "REVOKED" })
    }

    @Test func theDemoButtonRunsFanoutAndOfflineAgainstTheLiveBroker() async throws {
        let d = try await LiveDashboard(broker: try Servers.redis(), backend: nil)
        defer { Task { await d.stop() } }
        let r = try await d.request("POST", "/action/demo", headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Data("confirmed=1".utf8))
        #expect(r.status == 200, "\(r.text)")
        let table = try #require(try r.json()["table"]?.stringValue)
        #expect(table.contains("[fanout]") && table.contains("[offline]"))
        #expect(table.contains("50 / 50 / 50"))  // broadcast: every subscriber got every message
    }
}
