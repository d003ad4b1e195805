import Foundation
import LabRazor
import Testing

/// `/svc/boot` and `/svc/file` for a task made with `create-task`: its own
/// templates are rendered from their ERB, the common `boot_local` is used
/// where the task has none, and a template the server cannot render fails
/// the request with a 500 as razor-server's Sinatra does.
@Suite struct LabTaskTemplateTests {
    static let mac = "52-54-00-00-00-21"

    /// A node pre-registered by MAC, bound to a policy whose task is `task`.
    func bindNode(_ raw: RawHTTP, _ lab: LabRazorServer, task: String, templates: String) async throws {
        let api = lab.baseURL + "/api/commands/"
        #expect(try await raw.post(api + "create-broker", #"{"name":"noop","broker_type":"noop"}"#).status == 202)
        let created = try await raw.post(api + "create-task", """
            {"name":"\(task)","os":"Windows","boot_seq":{"1":"vizor_boot","default":"boot_local"},"templates":\(templates)}
            """)
        #expect(created.status == 202, "\(created.body)")
        _ = try await raw.post(api + "create-repo", #"{"name":"r1","url":"http://media.example/w2022/","task":"\#(task)"}"#)
        _ = try await raw.post(api + "create-tag", #"{"name":"t1","rule":["=",["fact","macaddress"],"52:54:00:00:00:21"]}"#)
        _ = try await raw.post(api + "register-node", #"{"hw_info":{"net0":"52:54:00:00:00:21"},"installed":false}"#)
        _ = try await raw.post(api + "create-policy", """
            {"name":"p1","repo":"r1","task":"\(task)","broker":"noop","hostname":"w${id}.lab","root_password":"pw","tags":["t1"],"max_count":1}
            """)
        let checkin = try await raw.post(lab.baseURL + "/svc/checkin/1", #"{"facts":{"macaddress":"52:54:00:00:00:21"}}"#)
        #expect(checkin.body.contains("reboot"), "\(checkin.body)")
    }

    @Test func aCustomTaskBootsItsOwnTemplateRenderedFromERBThenTheLocalDisk() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let template = #"#!ipxe\n<%# a comment %>echo node <%= node.name %> (<%= node.id %>) task <%= task.name %>\n"#
                + #"kernel <%= file_url('wimboot', true) %> || goto failed\ninitrd <%= repo_url(\"sources/boot.wim\") %> boot.wim\n"#
                + #"echo literal <%%= kept %> and <%= stage_done_url(\"winpe\") %> and <%= log_url('up now', :warn) %>\n"#
            try await bindNode(raw, lab, task: "vizor-j1", templates: #"{"vizor_boot":"\#(template)"}"#)
            let svc = lab.baseURL + "/svc"
            let boot = try await raw.get(svc + "/boot?net0=\(Self.mac)")
            #expect(boot.status == 200)
            #expect(boot.body == """
                #!ipxe
                echo node node1 (1) task vizor-j1
                kernel \(svc)/file/1/raw/wimboot || goto failed
                initrd http://media.example/w2022/sources/boot.wim boot.wim
                echo literal <%= kept %> and \(svc)/stage-done/1?name=winpe and \(svc)/log/1?msg=up+now&severity=warn

                """)
            let log = try await raw.get(lab.baseURL + "/api/collections/nodes/node1/log?limit=1").object
            let entry = try #require((log["items"] as? [[String: Any]])?.first)
            #expect(entry["event"] as? String == "boot" && entry["task"] as? String == "vizor-j1" && entry["template"] as? String == "vizor_boot")
            // The same template through /svc/file renders the same way.
            let file = try await raw.get(svc + "/file/1/vizor_boot")
            #expect(file.status == 200 && file.body == boot.body)
            // A database task has no raw files (no `find_file`): razor-server fails with a bare 500.
            let wimboot = try await raw.get(svc + "/file/1/raw/wimboot")
            #expect(wimboot.status == 500 && wimboot.body == "<h1>Internal Server Error</h1>")
            // After the first stage the boot sequence falls back to the common boot_local.
            #expect(try await raw.get(svc + "/stage-done/1?name=finished").status == 204)
            let local = try await raw.get(svc + "/boot?net0=\(Self.mac)")
            #expect(local.status == 200 && local.body.contains("exit") && !local.body.contains("kernel"))
        }
    }

    @Test(arguments: [
        #"<% if node.facts %>sanboot<% end %>"#,
        #"<%= node.metadata['x'] %>"#,
        #"<%= repo_url.sub('a', 'b') %>"#,
        #"<%= no_such_helper %>"#,
        #"kernel <%= file_url('wimboot', true)"#,
    ])
    func aTemplateTheServerCannotRenderFailsTheBootWith500(template: String) async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let escaped = template.replacingOccurrences(of: "\"", with: "\\\"")
            try await bindNode(raw, lab, task: "broken", templates: ##"{"vizor_boot":"#!ipxe\n\##(escaped)\n"}"##)
            let boot = try await raw.get(lab.baseURL + "/svc/boot?net0=\(Self.mac)")
            #expect(boot.status == 500, "\(template): \(boot.body)")
            #expect(boot.body == "<h1>Internal Server Error</h1>")
            #expect(!boot.body.contains("sanboot") && !boot.body.contains("<%"))
        }
    }

    @Test func aBootTemplateTheTaskDoesNotDefineIsNotFound() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            try await bindNode(raw, lab, task: "no-boot", templates: ##"{"other":"#!ipxe\nexit\n"}"##)
            let boot = try await raw.get(lab.baseURL + "/svc/boot?net0=\(Self.mac)")
            #expect(boot.status == 404)
            #expect(boot.object["error"] as? String == "Task no-boot: no template 'vizor_boot' for this task or its base tasks")
        }
    }

    @Test func wimbootPlacedInTheRepoStoreIsServedWithoutANode() async throws {
        try await withLab { lab in
            let raw = RawHTTP()
            let wimboot = try await raw.get(lab.baseURL + "/svc/repo/wimboot")
            #expect(wimboot.status == 200 && !wimboot.body.isEmpty)
            #expect(try await raw.get(lab.baseURL + "/svc/repo/WIMBOOT").status == 200, "matched without regard to case")
            #expect(try await raw.get(lab.baseURL + "/svc/repo/nothing-here").status == 404)
        }
    }
}
