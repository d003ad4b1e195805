import Foundation
import Testing
@testable import VizorXenServer

/// Codecs against payloads published or recorded from real xapi servers.
@Suite struct CodecTests {
    @Test func decodesARecordedXMLRPCLoginResponse() throws {
        let response = try XMLRPCCodec.decodeResponse(try fixture("xmlrpc-login-success.xml"))
        #expect(response == .success(.string("OpaqueRef:9e9cf047-76d7-9f3a-62ca-cb7bacf5a4e1")))
    }

    @Test func decodesThePublishedXMLRPCFailureStructWithWhitespace() throws {
        let response = try XMLRPCCodec.decodeResponse(try fixture("xmlrpc-failure-map-duplicate-key.xml"))
        #expect(response == .failure(["MAP_DUPLICATE_KEY", "Customer", "eSpiel Inc.", "eSpiel Incorporated"]))
    }

    @Test func decodesARealVMRecordFromTheSDKComponentSuite() throws {
        let spec = try JSONRPCCodec.parse(try fixture("xapi-ct-vm_get_all_records.json"))
        let result = spec["xapi-24/vm_get_all_records_02"]["expected_result"]["VM.get_all_records"]["result"]
        let vm = result["OpaqueRef:6ef08bce-0bf0-30ff-804f-5f0ee4bbdd13"]
        #expect(vm["memory_static_max"] == .int(8_589_934_592))
        #expect(vm["is_a_template"] == .bool(false))
        #expect(vm["HVM_shadow_multiplier"].double == 1.0)
        #expect(vm["other_config"]["mac_seed"].text == "8414a948-97f5-2a8b-2070-c26b95e5d578")
        #expect(vm["recommendations"].text.hasPrefix("<restrictions><restriction field=\"memory-static-max\""))
        let machine = XenRecords.machine(vm, vifs: [:], metrics: [:], location: "ct")
        #expect(machine.powerState == .running)
        #expect(machine.memoryMiB == 8192)
        #expect(machine.vcpus == 2)
        #expect(machine.sourceTemplate == "Windows 11")
        #expect(machine.tags["xenrt-distro"] == "win11-x64")
        #expect(machine.tags["mac_seed"] == nil)
        // Round trip through both encoders gives the same value back.
        let xml = XMLRPCCodec.encodeCall(method: "x", params: [vm])
        #expect(String(decoding: xml, as: UTF8.self).contains("<string>8589934592</string>"))
        let json = JSONRPCCodec.encode(vm)
        #expect(try JSONRPCCodec.parse(Array(json.utf8)) == vm)
    }

    @Test func toleratesNonFiniteFloatsAsXapiPrintsThem() throws {
        let spec = try JSONRPCCodec.parse(try fixture("xapi-ct-vm_special_value.json"))
        let result = spec["xapi-24/vm_special_value_13"]["expected_result"]["VM.get_all_records"]["result"]
        #expect(result["OpaqueRef:vmref009-7e0e-411f-1b6c-4308fd33b164"]["HVM_shadow_multiplier"] == .double(.infinity))
        #expect(result["OpaqueRef:vmref010-7e0e-411f-1b6c-4308fd33b164"]["HVM_shadow_multiplier"].double == .infinity)
        #expect(result["OpaqueRef:vmref011-7e0e-411f-1b6c-4308fd33b164"]["HVM_shadow_multiplier"].double == -.infinity)
        #expect(try JSONRPCCodec.parse(Array("[NaN,-Infinity]".utf8)).array?.first?.double?.isNaN == true)
        let xml = "<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><double>inf</double></value></member></struct></value></param></params></methodResponse>"
        #expect(try XMLRPCCodec.decodeResponse(Array(xml.utf8)) == .success(.double(.infinity)))
    }

    @Test func decodesEveryXMLRPCTypeXapiEmits() throws {
        let xml = """
        <?xml version="1.0"?><methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member>\
        <member><name>Value</name><value><struct><member><name>big</name><value>8589934592</value></member>\
        <member><name>flag</name><value><boolean>1</boolean></value></member><member><name>off</name><value><boolean>0</boolean></value></member>\
        <member><name>when</name><value><dateTime.iso8601>20190113T19:40:34Z</dateTime.iso8601></value></member>\
        <member><name>n</name><value><i4>12</i4></value></member><member><name>empty</name><value></value></member>\
        <member><name>selfclosed</name><value/></member><member><name>set</name><value><array><data></data></array></value></member>\
        <member><name>esc</name><value>a &lt;b&gt; &amp; &quot;c&quot; &#233;</value></member></struct></value></member></struct></value></param></params></methodResponse>
        """
        guard case .success(let v) = try XMLRPCCodec.decodeResponse(Array(xml.utf8)) else { Issue.record("not a success"); return }
        #expect(v["big"].int64 == 8_589_934_592)
        #expect(v["flag"] == .bool(true))
        #expect(v["off"] == .bool(false))
        #expect(v["when"] == .dateTime("20190113T19:40:34Z"))
        #expect(v["n"] == .int(12))
        #expect(v["empty"] == .string(""))
        #expect(v["selfclosed"] == .string(""))
        #expect(v["set"] == .array([]))
        #expect(v["esc"].text == "a <b> & \"c\" é")
    }

    @Test func encodesCallsTheWayXapiReadsThem() throws {
        let xml = String(decoding: XMLRPCCodec.encodeCall(method: "VM.set_memory_limits", params: ["OpaqueRef:x", .int(4_294_967_296), true, "<&>"]), as: UTF8.self)
        #expect(xml.contains("<methodName>VM.set_memory_limits</methodName>"))
        #expect(xml.contains("<value><string>4294967296</string></value>"))
        #expect(xml.contains("<boolean>1</boolean>"))
        #expect(xml.contains("&lt;&amp;&gt;"))
        let json = String(decoding: JSONRPCCodec.encodeCall(method: "VM.get_all", params: ["s", .int(8_589_934_592)], id: 7), as: UTF8.self)
        #expect(json == #"{"jsonrpc":"2.0","method":"VM.get_all","params":["s",8589934592],"id":7}"#)
    }

    @Test func decodesJSONRPCFailuresInBothVersions() throws {
        let v2 = #"{"jsonrpc":"2.0","error":{"code":1,"message":"SESSION_INVALID","data":["OpaqueRef:abc"]},"id":3}"#
        #expect(try JSONRPCCodec.decodeResponse(Array(v2.utf8)) == .failure(["SESSION_INVALID", "OpaqueRef:abc"]))
        let v1 = #"{"result":null,"error":["HOST_IS_SLAVE","192.0.2.1"],"id":3}"#
        #expect(try JSONRPCCodec.decodeResponse(Array(v1.utf8)) == .failure(["HOST_IS_SLAVE", "192.0.2.1"]))
        let ok = #"{"result":"","error":null,"id":"x"}"#
        #expect(try JSONRPCCodec.decodeResponse(Array(ok.utf8)) == .success(.string("")))
    }

    @Test(arguments: ["", "<methodResponse>", "<methodResponse><params><param><value><struct></struct></value></param></params></methodResponse>",
                      "<methodResponse><fault><value><struct></struct></value></fault></methodResponse>", "<html>500</html>", "\u{0}\u{1}<<<"])
    func rejectsMalformedXMLWithAnErrorNotACrash(_ text: String) {
        #expect(throws: XapiCodecError.self) { try XMLRPCCodec.decodeResponse(Array(text.utf8)) }
    }

    @Test(arguments: ["", "{", "[1,", "{\"result\":", "\"unterminated", "{\"a\" 1}", String(repeating: "[", count: 2000), "nul"])
    func rejectsMalformedJSONWithAnErrorNotACrash(_ text: String) {
        #expect(throws: XapiCodecError.self) { try JSONRPCCodec.decodeResponse(Array(text.utf8)) }
    }

    @Test func rewritesTheProvisioningDisksWithTheSRAndSize() {
        let xml = #"<provision><disk device="0" size="10737418240" sr="" bootable="true" type="system"/></provision>"#
        let out = ProvisionXML.rewrite(xml, srUUID: "sr-uuid", bootDiskSize: 42)
        #expect(ProvisionXML.disks(in: out) == [["device": "0", "size": "42", "sr": "sr-uuid", "bootable": "true", "type": "system"]])
    }
}
