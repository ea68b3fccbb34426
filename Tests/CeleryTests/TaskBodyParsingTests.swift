import Foundation
import Testing

@testable import Celery

/// The one-pass task body parser: `[args, kwargs, embed]` without an embed tree when it is empty.
@Suite struct TaskBodyParsingTests {
    func parse(_ s: String) throws -> (args: [JSONValue], kwargs: [String: JSONValue], embed: JSONValue?)? {
        try JSONParser.parseTaskBody(Array(s.utf8))
    }

    @Test func pythonsFormatWithAnAllNullEmbed() throws {
        let p = try #require(try parse(#"[[2, 4], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#))
        #expect(p.args == [2, 4])
        #expect(p.kwargs == [:])
        #expect(p.embed == Optional<JSONValue>.none)
    }

    @Test func compactFormKwargsAndNoEmbed() throws {
        let p = try #require(try parse(#"[[],{"x":1,"y":[true,null]}]"#))
        #expect(p.args == [])
        #expect(p.kwargs == ["x": 1, "y": [true, nil]])
        #expect(p.embed == Optional<JSONValue>.none)
        let nullEmbed = try #require(try parse(#"[[1],{},null]"#))
        #expect(nullEmbed.embed == Optional<JSONValue>.none)
        let emptyEmbed = try #require(try parse(#" [ [1] , { } , { } ] "#))
        #expect(emptyEmbed.embed == Optional<JSONValue>.none)
    }

    @Test func anEmbedWithAValueIsKeptWhole() throws {
        let body = #"[[1], {}, {"callbacks": null, "errbacks": null, "chain": [{"task": "t", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}], "chord": null}]"#
        let p = try #require(try parse(body))
        let chain = try #require(p.embed?["chain"]?.arrayValue)
        #expect(chain.first?["task"] == "t")
        #expect(p.embed?["callbacks"] == .null)
    }

    @Test func extraElementsAreIgnored() throws {
        let p = try #require(try parse(#"[[1], {}, null, "extra", {"a": 1}]"#))
        #expect(p.args == [1])
    }

    @Test func wrongShapesAreNilAndInvalidJSONThrows() throws {
        #expect(try parse(#"{"a": 1}"#) == nil)
        #expect(try parse(#"[{}, []]"#) == nil)
        #expect(try parse(#"[[1]]"#) == nil)
        #expect(throws: (any Error).self) { try parse(#"[[1], {}, {"chain": nul}]"#) }
        #expect(throws: (any Error).self) { try parse(#"[[1], {}] trailing"#) }
        // Ending early is not the shape either; the message decoder then reports invalid JSON.
        #expect(try parse(#"[[1, {}]"#) == nil)
        let cut = BrokerMessage(body: Array(#"[[1, {}]"#.utf8), headers: ["task": "t", "id": "i"])
        #expect { try TaskMessage(cut) } throws: { ($0 as? CeleryError)?.message.contains("not valid JSON") == true }
    }

    /// A full message decodes the same through the one-pass path as the body says.
    @Test func taskMessagesRoundTripThroughIt() throws {
        var m = TaskMessage(task: "tasks.add", args: [2, 4], kwargs: ["z": "ü"])
        m.embed.callbacks = [Signature(task: "tasks.echo")]
        let decoded = try TaskMessage(m.brokerMessage())
        #expect(decoded.args == [2, 4])
        #expect(decoded.kwargs == ["z": "ü"])
        #expect(decoded.embed.callbacks?.first?.task == "tasks.echo")
        let plain = try TaskMessage(TaskMessage(task: "tasks.add", args: [1, 1]).brokerMessage())
        #expect(plain.embed == Embed())
    }
}
