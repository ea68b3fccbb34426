import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// Celery's document shapes, no server needed.
@Suite struct MongoTaskDocumentTests {
    let json = MongoTaskDocument(encoding: .json)
    let bson = MongoTaskDocument(encoding: .bson)

    @Test func successStoresJSONTextByDefault() throws {
        let d = try json.document(for: TaskMeta(taskId: "a", status: .success, result: 7, dateDone: Date()))
        #expect(d[field: "_id"] == .string("a"))
        #expect(d[field: "status"] == .string("SUCCESS"))
        #expect(d[field: "result"] == .string("7"))
        #expect(d[field: "traceback"] == .null)
        #expect(d[field: "children"] == .array([]))
        #expect(d[field: "date_done"]?.dateValue != nil)
        #expect(d[field: "date_started"] == .null)
        #expect(d[field: "runtime"] == .null)
        #expect(try json.meta(from: d, id: "a").result == 7)
    }

    @Test func bsonEncodingStoresNativeValues() throws {
        let value: JSONValue = ["sum": 7, "items": ["x", 1.5]]
        let d = try bson.document(for: TaskMeta(taskId: "a", status: .success, result: value))
        #expect(d[field: "result"] == BSONValue(json: value))
        #expect(try bson.meta(from: d, id: "a").result == value)
        // Under bson, a stored string is a string, never parsed.
        let s = try bson.document(for: TaskMeta(taskId: "b", status: .success, result: "7"))
        #expect(try bson.meta(from: s, id: "b").result == "7")
    }

    @Test func notReadyStatesHaveNullDateDone() throws {
        let d = try json.document(for: TaskMeta(taskId: "a", status: .progress, result: ["current": 1, "total": 3], dateDone: Date()))
        #expect(d[field: "date_done"] == .null)
        #expect(try json.meta(from: d, id: "a").progress == ["current": 1, "total": 3])
    }

    @Test func failureIsCeleryExceptionJSON() throws {
        let err = TaskError(type: "ValueError", message: "bad ü", module: "builtins", traceback: "Traceback…")
        let d = try json.document(for: TaskMeta(taskId: "f", status: .failure, result: err.exceptionInfo, traceback: err.traceback))
        guard case .string(let text)? = d[field: "result"] else { Issue.record("result not text"); return }
        #expect(try JSONCoding.parse(Array(text.utf8)) == err.exceptionInfo)
        #expect(d[field: "traceback"] == .string("Traceback…"))
        let meta = try json.meta(from: d, id: "f")
        #expect(meta.error?.type == "ValueError")
        #expect(meta.error?.message == "bad ü")
    }

    @Test func extendedAndAdditiveFields() throws {
        let started = Date(timeIntervalSince1970: 1_700_000_000.5)
        let meta = TaskMeta(
            taskId: "e", status: .success, result: 3, children: [[["c1", nil], nil]], dateDone: Date(), dateStarted: started,
            runtime: 0.25, name: "tasks.add", args: [1, 2], kwargs: [:], worker: "w@h", retries: 2, queue: "celery",
            groupId: "g", parentId: "p")
        let d = try json.document(for: meta)
        #expect(d[field: "args"] == .array([.int32(1), .int32(2)]))
        #expect(d[field: "runtime"] == .double(0.25))
        #expect(d[field: "date_started"] == .date(started))
        let back = try json.meta(from: d, id: "e")
        #expect(back.name == "tasks.add" && back.args == [1, 2] && back.worker == "w@h" && back.retries == 2)
        #expect(back.queue == "celery" && back.groupId == "g" && back.parentId == "p" && back.runtime == 0.25)
        #expect(back.children == [[["c1", nil], nil]])
        #expect(back.dateStarted == started)
    }

    @Test func oddDocumentsDecodeOrFailClearly() throws {
        // No status: a decoding error naming the id.
        #expect(throws: CeleryError.self) { try json.meta(from: [BSONField("_id", .string("x"))], id: "x") }
        #expect(throws: CeleryError.self) { try json.meta(from: [BSONField("_id", .string("x")), BSONField("status", .int32(1))], id: "x") }
        // Pickled results are reported, not misread.
        let pickled: [BSONField] = [BSONField("_id", .string("p")), BSONField("status", .string("SUCCESS")), BSONField("result", .binary(subtype: 0, bytes: [0x80, 4]))]
        #expect(throws: CeleryError.self) { try json.meta(from: pickled, id: "p") }
        // Wrong types elsewhere read as absent; non-JSON text is kept as text.
        let odd: [BSONField] = [
            BSONField("_id", .objectId(BSONObjectId(bytes: Array(repeating: 1, count: 12)))), BSONField("status", .string("SUCCESS")),
            BSONField("result", .string("not json {")), BSONField("children", .null), BSONField("traceback", .int32(3)),
            BSONField("date_done", .string("2026-11-27T23:35:38.123456+00:00")), BSONField("runtime", .string("slow")),
            BSONField("retries", .double(2)), BSONField("extra", .unsupported("regex")),
        ]
        let meta = try json.meta(from: odd, id: "fallback")
        #expect(meta.taskId == "010101010101010101010101")
        #expect(meta.result == "not json {")
        #expect(meta.children == [] && meta.traceback == nil && meta.runtime == nil && meta.retries == 2)
        #expect(meta.dateDone == CeleryDate.parse("2026-11-27T23:35:38.123456+00:00"))
    }

    @Test func groupDocuments() throws {
        let d = try json.groupDocument(id: "g", taskIds: ["a", "b"])
        #expect(d[field: "result"] == .string(#"["a","b"]"#))
        #expect(try json.taskIds(fromGroup: d, id: "g") == ["a", "b"])
        // Python writes '["a", "b"]' with spaces; bson writes a native array.
        #expect(try json.taskIds(fromGroup: [BSONField("result", .string(#"["a", "b"]"#))], id: "g") == ["a", "b"])
        #expect(try bson.taskIds(fromGroup: [BSONField("result", .array([.string("a")]))], id: "g") == ["a"])
        #expect(throws: CeleryError.self) { try json.taskIds(fromGroup: [BSONField("result", .string("7"))], id: "g") }
    }
}
