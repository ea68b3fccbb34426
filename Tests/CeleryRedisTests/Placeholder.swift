import Testing

@Test func placeholderCeleryRedisTests() { #expect(Bool(true)) }
