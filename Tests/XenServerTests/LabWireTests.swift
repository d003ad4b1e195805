import AsyncHTTPClient
import Foundation
import LabXAPI
import NIOCore
import Testing
@testable import VizorXenServer

/// The lab's wire behaviour checked with raw HTTP bodies, as xapi answers
/// (not through Vizor's client, which could share a misunderstanding).
@Suite(.timeLimit(.minutes(1))) struct LabWireTests {
    func post(_ server: XAPILabServer, _ path: String, _ body: String) async throws -> (status: Int, type: String, body: String) {
        var request = HTTPClientRequest(url: server.endpoint.url + path)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), response.headers.first(name: "Content-Type") ?? "", String(buffer: buffer))
    }

    func login(_ server: XAPILabServer) async throws -> String {
        let r = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"session.login_with_password","params":["root","lab-password"],"id":1}"#)
        return try #require(try JSONRPCCodec.parse(Array(r.body.utf8))["result"].string)
    }

    @Test func xmlRPCAnswersInXapisShapeWithUntypedStringsAndInts() async throws {
        try await withLab { server in
            let call = "<?xml version=\"1.0\"?><methodCall><methodName>session.login_with_password</methodName><params>"
                + "<param><value><string>root</string></value></param><param><value>lab-password</value></param></params></methodCall>"
            let r = try await post(server, "/", call)
            #expect(r.status == 200)
            #expect(r.type == "text/xml")
            #expect(r.body.hasPrefix("<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>OpaqueRef:"))
            guard case .success(let ref) = try XMLRPCCodec.decodeResponse(Array(r.body.utf8)) else { Issue.record("login failed"); return }
            let records = try await post(server, "/RPC2", "<methodCall><methodName>VM.get_all_records</methodName><params><param><value>\(ref.text)</value></param></params></methodCall>")
            #expect(records.body.contains("<member><name>memory_static_max</name><value>2147483648</value></member>"))
            #expect(records.body.contains("<member><name>is_a_template</name><value><boolean>0</boolean></value></member>"))
            #expect(records.body.contains("<dateTime.iso8601>19700101T00:00:00Z</dateTime.iso8601>"))
            let failure = try await post(server, "/", "<methodCall><methodName>VM.get_all</methodName><params><param><value>OpaqueRef:nope</value></param></params></methodCall>")
            #expect(failure.status == 200)
            #expect(try XMLRPCCodec.decodeResponse(Array(failure.body.utf8)) == .failure(["SESSION_INVALID", "OpaqueRef:nope"]))
            let malformed = try await post(server, "/", "<methodCall><methodName>VM.get_all</methodName><params>")
            #expect(malformed.status == 500)
        }
    }

    @Test func jsonRPCFollowsTheRequestVersionAndRejectsNotifications() async throws {
        try await withLab { server in
            let v1 = try await post(server, "/jsonrpc", #"{"method":"session.login_with_password","params":["root","bad"],"id":"a"}"#)
            #expect(v1.type == "application/json")
            let v1Body = try JSONRPCCodec.parse(Array(v1.body.utf8))
            #expect(v1Body["error"] == .array(["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]))
            #expect(v1Body["result"] == .null)
            #expect(v1Body["id"] == "a")
            #expect(v1Body["jsonrpc"] == .null)
            let v2 = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"VM.get_all","params":["OpaqueRef:x"],"id":7}"#)
            let v2Body = try JSONRPCCodec.parse(Array(v2.body.utf8))
            #expect(v2Body["error"] == .structure(["code": 1, "message": "SESSION_INVALID", "data": .array(["OpaqueRef:x"])]))
            #expect(v2Body["id"] == 7)
            let notification = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"VM.get_all","params":[]}"#)
            #expect(notification.status == 500)
            let session = try await login(server)
            let ints = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"VM_get_all_records","params":["\#(session)"],"id":2}"#)
            #expect(ints.body.contains("\"memory_static_max\":2147483648"))
        }
    }

    @Test func methodsAreCheckedLikeXapiDoes() async throws {
        try await withLab { server in
            let s = try await login(server)
            func call(_ method: String, _ params: String) async throws -> XapiResponse {
                let r = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"\#(method)","params":["\#(s)"\#(params)],"id":1}"#)
                return try JSONRPCCodec.decodeResponse(Array(r.body.utf8))
            }
            #expect(try await call("VM.frobnicate", "") == .failure(["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]))
            #expect(try await call("VM.clone", "") == .failure(["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.clone", "3", "1"]))
            #expect(try await call("Async.VM.get_all", "") == .failure(["Fault", "No async mode for this operation (rpc: Async.VM.get_all)"]))
            guard case .success(let pools) = try await call("pool.get_all", "") else { Issue.record("pool.get_all"); return }
            let pool = pools.stringArray[0]
            #expect(try await call("pool.add_to_other_config", #","\#(pool)","k","v""#) == .success(""))
            guard case .failure(let dup) = try await call("pool.add_to_other_config", #","\#(pool)","k","w""#) else { Issue.record("dup"); return }
            #expect(dup.first == "MAP_DUPLICATE_KEY")
            guard case .success(let isos) = try await call("VDI.get_by_name_label", #","ipxe.iso""#) else { Issue.record("iso"); return }
            guard case .success(let vms) = try await call("VM.get_by_name_label", #","db-01""#) else { Issue.record("vm"); return }
            let vm = vms.stringArray[0], iso = isos.stringArray[0]
            let rwCD = #",{"VM":"\#(vm)","VDI":"\#(iso)","userdevice":"3","bootable":false,"mode":"RW","type":"CD","empty":false,"other_config":{},"qos_algorithm_type":"","qos_algorithm_params":{}}"#
            #expect(try await call("VBD.create", rwCD) == .failure(["VBD_CDS_MUST_BE_READONLY"]))
            let emptyDisk = #",{"VM":"\#(vm)","VDI":"OpaqueRef:NULL","userdevice":"4","bootable":false,"mode":"RW","type":"Disk","empty":true,"other_config":{},"qos_algorithm_type":"","qos_algorithm_params":{}}"#
            #expect(try await call("VBD.create", emptyDisk) == .failure(["VBD_NOT_REMOVABLE_MEDIA", "in constructor"]))
            let badMAC = #",{"device":"1","network":"OpaqueRef:NULL","VM":"\#(vm)","MAC":"zz","MTU":1500,"other_config":{},"qos_algorithm_type":"","qos_algorithm_params":{}}"#
            guard case .failure(let macError) = try await call("VIF.create", badMAC) else { Issue.record("vif"); return }
            #expect(macError.first == "HANDLE_INVALID")  // the network is checked first
            #expect(try await call("VM.set_memory_limits", #","\#(vm)",4,2,3,3"#) == .failure(["MEMORY_CONSTRAINT_VIOLATION_ORDER"]))
        }
    }

    @Test func eventFromCoalescesTimesOutAndReportsDeletions() async throws {
        try await withLab { server in
            let s = try await login(server)
            func from(_ classes: String, _ token: String, _ timeout: Double) async throws -> XapiValue {
                let r = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"event.from","params":["\#(s)",\#(classes),"\#(token)",\#(timeout)],"id":1}"#)
                guard case .success(let v) = try JSONRPCCodec.decodeResponse(Array(r.body.utf8)) else { throw TimedOut(what: "event.from failed: \(r.body)") }
                return v
            }
            let all = try await from(#"["vm"]"#, "", 0)
            #expect(all["events"].array?.allSatisfy { $0["operation"] == "add" } == true)
            #expect(all["valid_ref_counts"]["vm"].int64 == Int64(all["events"].array?.count ?? -1))
            let token = all["token"].text
            #expect(token.count == 41 && token.contains(","))

            let clock = ContinuousClock()
            let start = clock.now
            let quiet = try await from(#"["vm"]"#, token, 1.0)
            let waited = clock.now - start
            #expect(quiet["events"] == .array([]))
            #expect(waited >= .milliseconds(950) && waited < .seconds(3))

            let web = try #require(all["events"].array?.first { $0["snapshot"]["name_label"] == "web-01" })
            let uuid = web["snapshot"]["uuid"].text
            for n in 0..<3 { _ = await server.lab.setGuestMetrics(vmUUID: uuid, networks: ["0/ip": "10.0.0.\(n)"]) }
            let coalesced = try await from(#"["vm_guest_metrics"]"#, token, 5)
            #expect(coalesced["events"].array?.count == 1)
            #expect(coalesced["events"].array?.first?["snapshot"]["networks"]["0/ip"] == "10.0.0.2")

            #expect(await server.lab.guestShutdown(vmUUID: uuid))
            let del = try await from(#"["vm_guest_metrics"]"#, coalesced["token"].text, 5)
            let deletion = try #require(del["events"].array?.first)
            #expect(deletion["operation"] == "del")
            #expect(deletion["snapshot"] == .null)
            let badToken = try await post(server, "/jsonrpc", #"{"jsonrpc":"2.0","method":"event.from","params":["\#(s)",["vm"],"garbage",0],"id":1}"#)
            #expect(try JSONRPCCodec.decodeResponse(Array(badToken.body.utf8)) == .failure(["EVENT_FROM_TOKEN_PARSE_FAILURE", "garbage"]))
        }
    }
}
