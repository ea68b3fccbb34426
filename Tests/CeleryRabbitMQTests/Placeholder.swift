import Testing

@Test func placeholderCeleryRabbitMQTests() { #expect(Bool(true)) }
