import Testing

@Suite struct ExposureTestsPlaceholder {
    @Test func suiteIsWired() { #expect("ExposureTests".hasSuffix("Tests")) }
}
