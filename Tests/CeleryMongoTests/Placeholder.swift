import Testing

@Test func placeholderCeleryMongoTests() { #expect(Bool(true)) }
