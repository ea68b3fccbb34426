import Testing

@Test func placeholderRESPTests() { #expect(Bool(true)) }
