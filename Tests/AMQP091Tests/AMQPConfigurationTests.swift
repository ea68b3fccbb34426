import Testing

@testable import AMQP091

@Suite("AMQP URLs")
struct AMQPConfigurationTests {
    @Test func parsesUserPasswordHostPortVhost() throws {
        let c = try AMQPConfiguration(url: "amqp://us%40er:p%3Ass@rabbit.example:5673/my%2Fvhost?heartbeat=10&frame_max=8192&channel_max=5&connection_timeout=1500")
        #expect(c.user == "us@er")
        #expect(c.password == "p:ss")
        #expect(c.host == "rabbit.example")
        #expect(c.port == 5673)
        #expect(c.virtualHost == "my/vhost")
        #expect(c.tls == nil)
        #expect(c.heartbeat == .seconds(10))
        #expect(c.frameMax == 8192)
        #expect(c.channelMax == 5)
        #expect(c.connectTimeout == .milliseconds(1500))
        #expect(!c.maskedURL.contains("p:ss"))
        #expect(c.maskedURL == "amqp://us@er:***@rabbit.example:5673/my%2Fvhost")
    }

    @Test func defaults() throws {
        let c = try AMQPConfiguration(url: "amqp://localhost")
        #expect(c.user == "guest" && c.password == "guest")
        #expect(c.port == 5672)
        #expect(c.virtualHost == "/")
        #expect(try AMQPConfiguration(url: "amqp://h/").virtualHost == "/")
        #expect(try AMQPConfiguration(url: "amqp://h/%2F").virtualHost == "/")
        let s = try AMQPConfiguration(url: "amqps://u:p@[::1]/")
        #expect(s.port == 5671)
        #expect(s.tls != nil)
        #expect(s.host == "::1")
        #expect(s.endpoint == "[::1]:5671")
    }

    @Test func badURLsAreRejectedWithMaskedPassword() {
        for bad in ["http://u:secret@h/", "amqp://u:secret@h:notaport/", "amqp://u:secret@h:70000/", "amqp://u:secret@h/?heartbeat=-1"] {
            let e = #expect(throws: AMQPError.self) { _ = try AMQPConfiguration(url: bad) }
            #expect(e?.kind == .badURL)
            #expect(e?.description.contains("secret") == false)
        }
        #expect(AMQPConfiguration.mask("amqp://u:secret@h:1/v") == "amqp://u:***@h:1/v")
    }
}
