import Testing

@Test func placeholderContract() { #expect(Bool(true)) }
