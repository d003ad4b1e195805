import Foundation
import Testing
import VizorProvisioning

/// The per-job Razor task: a boot sequence like the stock windows tasks'
/// (`1` the install template, `default` Razor's common `boot_local`), and an
/// install template that ERB renders back into Vizor's script.
struct RazorTaskDefinitionTests {
    @Test func theTaskBootsVizorsScriptOnceThenTheLocalDisk() throws {
        let goldenCase = try #require(Fixtures.cases.first { $0.spec.image.imageID == "win2019-x64" })
        let script = try #require(try Fixtures.bundle(goldenCase).artefacts[ArtefactName.bootScript]).text
        let token = Fixtures.context().token
        let definition = RazorTaskDefinition.make(jobID: goldenCase.spec.jobID, os: "Windows Server 2019", bootScript: script, token: token)
        #expect(definition["os"] == "Windows Server 2019")
        #expect(definition["boot_seq.1"] == "vizor_boot" && definition["boot_seq.default"] == "boot_local")
        #expect(Set(definition.keys) == ["os", "description", "boot_seq.1", "boot_seq.default", "vizor_boot"])
        let template = try #require(definition["vizor_boot"])
        // Every artefact URL names the node through ERB; nothing else in the script changes.
        let artefactLines = script.split(separator: "\n").filter { $0.contains("?token=\(token)") }
        #expect(artefactLines.count == 3)
        #expect(template.components(separatedBy: "<%= node.name %>").count - 1 == artefactLines.count)
        #expect(template.replacingOccurrences(of: "&node=<%= node.name %>", with: "") == script)
        #expect(template.contains("/autounattend.xml?token=\(token)&node=<%= node.name %> autounattend.xml || goto failed"))
    }

    @Test func erbMarkupInTheScriptIsEscapedSoRazorRendersItVerbatim() {
        let script = "#!ipxe\necho 50<%done %> and <%= not code %>\ninitrd http://v/a/x.ini?token=t0ken-0123456789abcdef x.ini\n"
        let template = RazorTaskDefinition.template(bootScript: script, token: "t0ken-0123456789abcdef")
        #expect(template == "#!ipxe\necho 50<%%done %> and <%%= not code %>\n"
                + "initrd http://v/a/x.ini?token=t0ken-0123456789abcdef&node=<%= node.name %> x.ini\n")
        // Every tag that opens is Vizor's own node-name tag; the rest are escapes.
        #expect(template.components(separatedBy: "<%").count - 1 == 3)
        #expect(template.components(separatedBy: "<%%").count - 1 == 2)
    }
}
