import Testing

@Suite struct RazorTestsPlaceholder {
    @Test func suiteIsWired() { #expect("RazorTests".hasSuffix("Tests")) }
}
