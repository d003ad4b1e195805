import Testing

@Suite struct ProvisioningTestsPlaceholder {
    @Test func suiteIsWired() { #expect("ProvisioningTests".hasSuffix("Tests")) }
}
