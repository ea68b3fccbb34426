import Testing

@Test func placeholderCeleryCommandsTests() { #expect(Bool(true)) }
