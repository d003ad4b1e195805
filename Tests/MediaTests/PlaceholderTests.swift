import Testing

@Suite struct MediaTestsPlaceholder {
    @Test func suiteIsWired() { #expect("MediaTests".hasSuffix("Tests")) }
}
