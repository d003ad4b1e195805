import Testing

@Suite struct TUITestsPlaceholder {
    @Test func suiteIsWired() { #expect("TUITests".hasSuffix("Tests")) }
}
