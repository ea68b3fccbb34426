import Testing

@Test func placeholderAMQP091Tests() { #expect(Bool(true)) }
