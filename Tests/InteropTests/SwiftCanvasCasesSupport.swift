import Celery
import Foundation

/// The canvases of scripts/interop/canvas.py, built with the Swift API (same case names).
struct SwiftCanvasCases {
    typealias Run = @Sendable () async throws -> JSONValue
    let all: [(String, Run)]

    init(app: Celery, queue: String) throws {
        let add = TaskHandle<Int, Int, Int>(name: "tasks.add", app: app)
        let mul = TaskHandle<Int, Int, Int>(name: "tasks.mul", app: app)
        let xsum = TaskHandle<[Int], Int>(name: "tasks.xsum", app: app)
        let echo = TaskHandle<JSONValue, JSONValue>(name: "tasks.echo", app: app)
        let fail = Signature(task: "tasks.fail", args: ["boom"], immutable: true)
        let t: Duration = .seconds(30)
        func value(_ c: Signature) -> Run { { try await app.apply(c).get(timeout: t) } }
        var c: [(String, Run)] = []
        c.append(("chain", value(try add.s(2, 2) | mul.partial(4) | add.partial(1))))
        c.append(("chain_or", value(try add.s(2, 2) | mul.partial(8) | mul.partial(10))))
        c.append(("chain_640", value(Signature.chain(try add.s(4, 4), mul.partial(8), mul.partial(10)))))
        let parentChain = try add.s(4, 4) | mul.partial(8)
        c.append(("chain_parent", {
            let r = try await app.apply(parentChain)
            return [try await r.get(timeout: t), try await r.parent!.get(timeout: t)]
        }))
        c.append(("partial_delay", { try await app.apply(add.partial(2), args: [4]).get(timeout: t) }))
        c.append(("signature_countdown", value(try add.s(2, 2).with(CallOptions(countdown: .seconds(1))))))
        c.append(("signature_options", value(try add.s(2, 2).with(CallOptions(taskId: Self.newId(), expires: CallOptions.expiring(in: .seconds(3600)), priority: 5)))))
        c.append(("chord_100", value(Signature.chord(try (0..<100).map { try add.s($0, $0) }, xsum.partial()))))
        c.append(("immutable", value(try add.si(2, 2) | add.si(4, 4) | add.si(8, 8))))
        c.append(("partial_kwargs", value(try add.s(2, 2) | mul.partial(kwargs: ["y": 3]))))
        let ten = try (0..<10).map { try add.s($0, $0) }
        c.append(("group", value(Signature.group(ten))))
        let two = Signature.group(try add.s(2, 2), try add.s(4, 4))
        c.append(("group_results_ready", {
            let g = try await app.apply(two).group!
            let v = try await g.get(timeout: t)
            return [.array(v), .bool(try await g.ready()), .bool(try await g.successful()), .int(Int64(try await g.completedCount()))]
        }))
        c.append(("chord", value(Signature.chord(ten, xsum.partial()))))
        c.append(("chord_implicit", value(Signature.group(try (0..<5).map { try add.s($0, $0) }) | xsum.partial())))
        c.append(("chain_ending_in_chord", value(try add.s(2, 2) | Signature.chord([add.partial(1), add.partial(2)], xsum.partial()))))
        c.append(("chord_in_chain_middle", value(Signature.chain(try add.s(1, 1), Signature.chord([add.partial(1), mul.partial(3)], xsum.partial()), mul.partial(10)))))
        c.append(("chain_in_group", value(Signature.group(try add.s(1, 1) | mul.partial(2), try add.s(2, 2) | mul.partial(3)))))
        c.append(("group_of_chords", value(Signature.group(
            Signature.chord([try add.s(1, 1), try add.s(2, 2)], xsum.partial()), Signature.chord([try add.s(3, 3)], xsum.partial())))))
        c.append(("chord_chain_body", value(Signature.chord([try add.s(1, 1), try add.s(2, 2)], xsum.partial() | mul.partial(2)))))
        c.append(("group_then_chain", value(try add.s(1, 1) | Signature.group(add.partial(1), add.partial(2)))))
        c.append(("nested_groups", value(Signature.group(Signature.group(try add.s(1, 1), try add.s(2, 2)), try add.s(3, 3)))))
        c.append(("empty_header_chord", value(Signature.chord([], xsum.partial()))))
        c.append(("starmap", value(add.starmap([[2, 2], [4, 4]]))))
        c.append(("map", value(xsum.map([[1, 2], [3, 4, 5]]))))
        c.append(("chunks", value(add.chunks((0..<10).map { [.int(Int64($0)), .int(Int64($0))] }, 3))))
        c.append(("link_children", {
            let cb = Self.newId()
            let r = try await app.apply(try add.s(2, 2).link(mul.partial(10).with(id: cb)))
            let v = try await r.get(timeout: t)
            let kids = try await r.children().map(\.id)
            return [v, .bool(kids.contains(cb)), try await app.result(id: cb).get(timeout: t)]
        }))
        c.append(("link_error_old_style", {
            let eb = Self.newId()
            let r = try await app.apply(fail.linkError(echo.partial().with(id: eb)))
            let failed = await Self.outcome { try await r.get(timeout: t) }
            return [failed["error"] ?? nil, .bool(try await app.result(id: eb).get(timeout: t) == .string(r.id))]
        }))
        c.append(("chain_failure_marks_rest", {
            let r = try await app.apply(try add.s(1, 1) | fail | add.partial(1))
            return await Self.outcome { try await r.get(timeout: t) }
        }))
        c.append(("chord_member_fails", {
            let r = try await app.apply(Signature.chord([try add.s(1, 1), fail], xsum.partial()))
            // As in canvas.py: r.get() re-raises the failed member; the body is stored as ChordError.
            let first = await Self.outcome { try await r.get(timeout: t) }
            var body = (await Self.outcome { try await app.result(id: r.id).get(timeout: t) }).objectValue ?? [:]
            let m = body["message"]?.stringValue ?? ""
            body["message"] = .bool(m.contains("RuntimeError('boom')"))
            return [first, .object(body)]
        }))
        c.append(("chord_body_errback", {
            let eb = Self.newId()
            let r = try await app.apply(Signature.chord([fail], xsum.partial().linkError(echo.partial().with(id: eb))))
            _ = await Self.outcome { try await r.get(timeout: t) }
            return .bool(try await app.result(id: eb).get(timeout: t) == .string(r.id))
        }))
        c.append(("group_save_restore", {
            let g = try await app.apply(Signature.group(try add.s(5, 5), try add.s(6, 6))).group!
            try await g.save()
            return .array(try await GroupResult.restore(id: g.id, app: app)!.get(timeout: t))
        }))
        c.append(("accumulate", { try await app.send(task: "celery.accumulate", args: [1, 2, 3], kwargs: ["index": 1]).get(timeout: t) }))
        all = c
        _ = queue
    }

    static func newId() -> String { UUID().uuidString.lowercased() }

    /// `{"value": v}` or `{"error", "module", "message"}`, as canvas.py reports outcomes.
    static func outcome(_ run: () async throws -> JSONValue) async -> JSONValue {
        do { return ["value": try await run()] } catch let e as TaskError {
            return ["error": .string(e.type), "module": e.module.map(JSONValue.string) ?? .null, "message": .string(e.message)]
        } catch {
            return ["error": .string("\(type(of: error))"), "module": "swift", "message": .string("\(error)")]
        }
    }

    /// Compares with a value parsed by JSONSerialization.
    static func equal(_ got: JSONValue, _ expected: Any) -> Bool {
        guard let data = try? JSONSerialization.data(withJSONObject: expected, options: [.fragmentsAllowed]),
            let e = try? JSONCoding.parse(Array(data))
        else { return false }
        return got == e
    }
}
