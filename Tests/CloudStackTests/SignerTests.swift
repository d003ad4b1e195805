import Foundation
@testable import LabCloudStack
import Testing
import VizorCloudStack

/// The published signature vectors (cs tests.py, libcloud, the CloudStack
/// developer guide) and derived edge cases (computed with the server-side algorithm), checked
/// against Vizor's signer and, independently, the lab's verifier.
@Suite struct SignerTests {
    struct Vector: Sendable, CustomStringConvertible {
        var secret: String
        var parameters: [(name: String, value: String)]
        var signature: String
        var description: String { parameters.map(\.name).joined(separator: ",") + " → " + signature }
    }

    static func cs(_ extra: [(String, String)]) -> [(name: String, value: String)] {
        [("apiKey", "foo"), ("response", "json")] + extra.map { (name: $0.0, value: $0.1) }
    }

    static let published: [Vector] = [
        Vector(secret: "bar", parameters: cs([("command", "listVirtualMachines"), ("listall", "true")]),
               signature: "B0d6hBsZTcFVCiioSxzwKA9Pke8="),
        Vector(secret: "bar", parameters: cs([("command", "listVirtualMachines"), ("zoneId", "2"), ("templateId", "3"),
                                              ("temPlateidd", "4"), ("pageSize", "10"), ("page", "1")]),
               signature: "mMS7XALuGkCXk7kj5SywySku0Z0="),
        Vector(secret: "bar", parameters: cs([("command", "listVirtualMachines"), ("listall", "1"), ("unicode_param", "éèààû")]),
               signature: "gABU/KFJKD3FLAgKDuxQoryu4sA="),
        Vector(secret: "bar", parameters: cs([("command", "listVirtualMachines"), ("foo", "foo,bar"), ("bar[0].baz", "blah"),
                                              ("bar[0].foo", "1000"), ("bytes_param", "blah")]),
               signature: "ImJ/5F0P2RDL7yn4LdLnGcEx5WE="),
        Vector(secret: "bar", parameters: cs([("command", "scaleVirtualMachine"), ("id", "a"), ("details[0].cpunumber", "1000"),
                                              ("details[0].memory", "640k")]),
               signature: "ZNl66z3gFhnsx2Eo3vvCIM0kAgI="),
        Vector(secret: "bar", parameters: cs([("command", "createNetwork"), ("name", ""), ("display_text", "")]),
               signature: "CistTEiPt/4Rv1v4qSyILvPbhmg="),
        Vector(secret: "bar", parameters: cs([("command", "listVirtualMachines"), ("blah", "brah")]),
               signature: "58VvLSaVUqHnG9DhXNOAiDFwBoA="),
        // libcloud's connection always adds response=json.
        Vector(secret: "abracadabra", parameters: [("apikey", "fnord"), ("response", "json"), ("command", "listVirtualMachines")],
               signature: "z/a9Y7J52u48VpqIgiwaGUMCso0="),
        Vector(secret: "abracadabra", parameters: [("apikey", "fnord"), ("response", "json"), ("command", "deployVirtualMachine"), ("name", "fred"),
                                                   ("displayname", "George"), ("serviceofferingid", "5"), ("templateid", "17"),
                                                   ("zoneid", "23"), ("networkids", "42")],
               signature: "gHTo7mYmadZ+zluKHzlEKb1i/QU="),
        Vector(secret: "abracadabra", parameters: [("apikey", "fnord"), ("response", "json"), ("command", "deployVirtualMachine"), ("name", "fred"),
                                                   ("displayname", "George+Ringo"), ("serviceofferingid", "5"), ("templateid", "17"),
                                                   ("zoneid", "23"), ("networkids", "42")],
               signature: "tAgfrreI1ZvWlWLClD3gu4+aKv4="),
        Vector(secret: "VDaACYb0LV9eNjTetIOElcVQkvJck_J_QljX_FcHRj87ZKiy0z0ty0ZsYBkoXkY9b7eq1EhwJaw7FF3akA3KBQ",
               parameters: [("apikey", "plgWJfZK4gyS3mOMTVmjUVg-X-jlWlnfaUJ9GAbBbf9EdM-kAYMmAiLqzzq1ElZLYq_u38zCm0bewzGUdP66mg"),
                            ("command", "listUsers"), ("response", "json")],
               signature: "TTpdDq/7j/J58XCRHomKoQXEQds="),
        // Derived with the server-side algorithm (apache/cloudstack ApiServer.verifyRequest).
        Vector(secret: "bar", parameters: cs([("command", "listVirtualMachines"), ("name", "a b*c~d+e/f=é")]),
               signature: "Ls4cagOMzKcdbx+EbykzCh2oWaU="),
        Vector(secret: "bar", parameters: cs([("command", "listTemplates"), ("templatefilter", "self"), ("templateId", "x")]),
               signature: "EDr7NSL4uDeEcOwjPa4p8yTLaCA="),
        Vector(secret: "bar", parameters: cs([("command", "listZones"), ("signatureVersion", "3"), ("expires", "2030-01-01T00:00:00+0000")]),
               signature: "S0OtoIAS+Tu8ylB/nsQh4B370TM="),
    ]

    @Test("every published and derived vector signs as recorded", arguments: published)
    func vectorSigns(vector: Vector) {
        #expect(CloudStackSigner(secretKey: vector.secret).signature(for: vector.parameters) == vector.signature)
    }

    @Test("the lab verifier accepts every vector and refuses it under another secret", arguments: published)
    func labVerifies(vector: Vector) {
        let query = (vector.parameters + [("signature", vector.signature)])
            .map { "\($0.name)=\(CloudStackSigner.wireEncode($0.value))" }.joined(separator: "&")
        let request = LabRequestParameters(query: query, formBody: nil)
        #expect(request.signatureMatches(secret: vector.secret))
        #expect(!request.signatureMatches(secret: vector.secret + "x"))
    }

    @Test func caseSensitiveSortPutsUppercaseFirst() {
        let text = CloudStackSigner.canonicalString([("templatefilter", "self"), ("templateId", "x"), ("Zed", "1"), ("apiKey", "k")])
        #expect(text == "Zed=1&apiKey=k&templateId=x&templatefilter=self")
    }

    @Test func javaEncodingOfTildeStarSpacePlusAndNonASCII() {
        #expect(CloudStackSigner.javaURLEncode("a~b") == "a%7Eb")
        #expect(CloudStackSigner.javaURLEncode("*.example.com") == "*.example.com")
        #expect(CloudStackSigner.javaURLEncode("this that") == "this%20that")
        #expect(CloudStackSigner.javaURLEncode("a+b") == "a%2Bb")
        #expect(CloudStackSigner.javaURLEncode("foo?") == "foo%3F")
        #expect(CloudStackSigner.javaURLEncode("ü€") == "%C3%BC%E2%82%AC")
        #expect(CloudStackSigner.javaURLEncode("-_.") == "-_.")
    }

    @Test func pythonStyleTildeSignatureDiffersFromTheServers() {
        // A client leaving ~ unencoded gets this (rejected) signature; ours is the server's.
        let signature = CloudStackSigner(secretKey: "bar").signature(for: Self.cs([("command", "listVirtualMachines"), ("name", "a b*c~d+e/f=é")]))
        #expect(signature != "CSiLObaQJT/CfGD+e6s0AMC1lik=")
    }

    @Test func signatureParameterIsLeftOutWhateverItsCase() {
        let base = Self.cs([("command", "listZones")])
        let signer = CloudStackSigner(secretKey: "bar")
        #expect(signer.signature(for: base + [("Signature", "junk")]) == signer.signature(for: base))
    }

    @Test func repeatedNameSignsOnlyItsFirstValue() {
        let text = CloudStackSigner.canonicalString([("a", "1"), ("a", "2")])
        #expect(text == "a=1")
    }

    @Test func expiresIsFormattedInUTCWithPlusZero() {
        #expect(CloudStackSigner.expiresString(Date(timeIntervalSince1970: 1_893_456_000)) == "2030-01-01T00:00:00+0000")
        #expect(CloudStackSigner.expiresString(Date(timeIntervalSince1970: 951_827_696)) == "2000-02-29T12:34:56+0000")
    }

    @Test func labParsesEveryExpiresForm() {
        let expected = Date(timeIntervalSince1970: 1_893_456_000)
        for text in ["2030-01-01T00:00:00+0000", "2030-01-01T00:00:00+00:00", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00.123Z",
                     "2030-01-01T01:00:00+0100", "2029-12-31T23:00:00-0100"] {
            #expect(LabExpires.parse(text).map { abs($0.timeIntervalSince(expected)) < 1 } == true, "\(text)")
        }
        for bad in ["", "2030-01-01", "2030-13-01T00:00:00Z", "2030-01-01T00:00:00", "tomorrow"] {
            #expect(LabExpires.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func labDecodesPlusAsSpaceInTheQuery() {
        let request = LabRequestParameters(query: "name=a+b%2Bc&x=%E2%82%AC", formBody: "y=1&name=zzz")
        #expect(request["name"] == "a b+c")
        #expect(request["x"] == "€")
        #expect(request["y"] == "1")
    }
}
