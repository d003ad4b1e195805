import Testing

@Suite struct XenServerTestsPlaceholder {
    @Test func suiteIsWired() { #expect("XenServerTests".hasSuffix("Tests")) }
}
