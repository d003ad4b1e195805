import Testing

@Suite struct EndToEndTestsPlaceholder {
    @Test func suiteIsWired() { #expect("EndToEndTests".hasSuffix("Tests")) }
}
