import Testing

@Suite struct CloudStackTestsPlaceholder {
    @Test func suiteIsWired() { #expect("CloudStackTests".hasSuffix("Tests")) }
}
