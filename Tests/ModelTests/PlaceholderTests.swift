import Testing

@Suite struct ModelTestsPlaceholder {
    @Test func suiteIsWired() { #expect("ModelTests".hasSuffix("Tests")) }
}
