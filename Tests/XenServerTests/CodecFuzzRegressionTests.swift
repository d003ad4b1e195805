import Testing

@testable import VizorXenServer

/// Inputs found by the libFuzzer target (scripts/fuzz.d/xenserver.sh) that
/// crashed a codec once; each must now decode or fail as a value.
@Suite struct CodecFuzzRegressionTests {
    @Test func highSurrogateFollowedByANonLowSurrogateEscapeDoesNotTrap() throws {
        // Found by the fuzzer: `\ud84d\u5e30` overflowed the surrogate arithmetic.
        let value = try JSONRPCCodec.parse(Array(#"["\ud84d\u5e30", "\ud800\u0000x", "\udc00"]"#.utf8))
        #expect(value == .array([.string("\u{FFFD}\u{5E30}"), .string("\u{FFFD}\u{0}x"), .string("\u{FFFD}")]))
    }

    @Test func aValidSurrogatePairStillDecodesToOneScalar() throws {
        let value = try JSONRPCCodec.parse(Array(#""\ud83d\ude00""#.utf8))
        #expect(value == .string("\u{1F600}"))
    }

    @Test func aHighSurrogateAtTheEndOfAStringBecomesAReplacementCharacter() throws {
        let value = try JSONRPCCodec.parse(Array(#""a\ud83d""#.utf8))
        #expect(value == .string("a\u{FFFD}"))
    }

    @Test func deeplyNestedXMLRPCValuesAreRefusedInsteadOfOverflowingTheStack() {
        // 100,000 nested arrays (2.3 MB) overflowed the stack of the recursive scanner.
        let depth = 100_000
        let body = "<methodResponse><params><param>" + String(repeating: "<value><array><data>", count: depth)
            + String(repeating: "</data></array></value>", count: depth) + "</param></params></methodResponse>"
        #expect(throws: XapiCodecError.self) { try XMLRPCCodec.decodeResponse(Array(body.utf8)) }
    }

    @Test func nestingUpToTheLimitStillDecodes() throws {
        let depth = 500
        let body = "<value>" + String(repeating: "<array><data><value>", count: depth) + "x"
            + String(repeating: "</value></data></array>", count: depth) + "</value>"
        var value = try XMLRPCCodec.decodeValueFragment(body)
        for _ in 0..<depth { value = try #require(value.array?.first) }
        #expect(value == .string("x"))
    }

    @Test func entitiesFollowedByCombiningMarksDecode() throws {
        // Found by the fuzzer: `;` + U+035B is one Character, so the entity was
        // not found where it ended and the whole response was refused.
        let name = "&\u{301}<\u{338}>\u{35B} a\u{301}"
        var xml = ""
        XMLRPCCodec.appendValue(.string(name), to: &xml)
        #expect(xml.contains("&amp;\u{301}&lt;\u{338}&gt;\u{35B}"))
        #expect(try XMLRPCCodec.decodeValueFragment(xml) == .string(name))
        #expect(try XMLRPCCodec.decodeValueFragment("<value>&#x41;\u{301}&#65;</value>") == .string("A\u{301}A"))
    }
}
