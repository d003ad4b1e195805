import BackendKit
import Foundation
import LabXAPI
import Testing
@testable import VizorXenServer

/// The client against the lab pool over loopback, on both wire protocols.
@Suite(.timeLimit(.minutes(1))) struct LabClientTests {
    @Test(arguments: XapiTransportKind.allCases)
    func listsMachinesAndTemplatesWithoutControlDomainsOrSnapshots(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport)
            let machines = try await xen.listMachines()
            #expect(machines.map(\.name) == ["db-01", "web-01"])
            let web = try #require(machines.first { $0.name == "web-01" })
            #expect(web.powerState == .running)
            #expect(web.ipAddresses == ["10.0.0.21"])
            #expect(web.macAddresses.count == 1)
            #expect(web.guestToolsVersion == "8.3.0.1")
            #expect(web.memoryMiB == 2048)
            let templates = try await xen.listTemplates()
            let kinds = Dictionary(uniqueKeysWithValues: templates.map { ($0.name, $0.kind) })
            #expect(kinds["Windows Server 2022 (64-bit)"] == .install)
            #expect(kinds["Windows 11"] == .install)
            #expect(kinds["Debian Bookworm 12"] == .install)
            #expect(kinds["ws2022-golden"] == .custom)
            #expect(kinds["ws2022-instant"] == .instant)
            #expect(templates.first { $0.name == "Windows 10 (64-bit)" }?.sizeBytes == 64 << 30)
            await xen.close()
            #expect(await server.lab.openSessions == 0)
        }
    }

    @Test(arguments: XapiTransportKind.allCases)
    func listsInventoryIncludingISOLibrariesAndToolsISO(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport)
            #expect(try await xen.listHosts().count == 2)
            let pool = try await xen.pool()
            #expect(pool.defaultSRRef.hasPrefix("OpaqueRef:"))
            let networks = try await xen.listNetworks()
            #expect(networks.map(\.bridge) == ["xenbr0"])
            let libraries = try await xen.listISOLibraries()
            #expect(Set(libraries.flatMap(\.isos).map(\.name)) == ["ipxe.iso", "debian-12.iso", "guest-tools.iso"])
            #expect(try await xen.toolsISO()?.name == "guest-tools.iso")
            #expect(try await xen.listVDIs().count >= 3)
        }
    }

    @Test(arguments: XapiTransportKind.allCases)
    func createsAContainerThatNetworkBootsAndRunsItsLifecycle(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport)
            let spec = ContainerSpec(name: "build-\(transport.rawValue)", osTemplate: "Windows Server 2022 (64-bit)", bootISO: "ipxe.iso",
                                     vcpus: 4, memoryMiB: 8192, diskGiB: 80, mac: "02:aa:bb:cc:dd:01", ownerTags: ["vizor.job": "42"])
            let created = try await xen.createContainer(spec)
            #expect(created.mac == "02:aa:bb:cc:dd:01")
            #expect(await server.lab.vmUUID(forMAC: created.mac) == created.machineID)
            #expect(await server.lab.insertedCD(vmUUID: created.machineID) == "ipxe.iso")
            let session = xen.session
            let ref = try await session.call("VM.get_by_uuid", [.string(created.machineID)]).text
            let record = try await session.call("VM.get_record", [.string(ref)])
            #expect(record["power_state"].text == "Halted")
            #expect(record["is_a_template"].bool == false)
            #expect(record["VCPUs_max"].int64 == 4)
            #expect(record["memory_static_max"].int64 == 8192 << 20)
            #expect(record["HVM_boot_params"]["order"].text == "dcn")
            #expect(record["other_config"]["disks"] == .null)
            var sizes: [Int64] = []
            for vbd in record["VBDs"].stringArray {
                let b = try await session.call("VBD.get_record", [.string(vbd)])
                if b["type"].text == "Disk" { sizes.append(try await session.call("VDI.get_virtual_size", [b["VDI"]]).int64 ?? 0) }
            }
            #expect(sizes == [80 << 30])
            let found = try await xen.findMachines(taggedWith: "vizor.job", value: "42")
            #expect(found.map(\.id) == [created.machineID])

            try await xen.start(machineID: created.machineID)
            #expect(await server.lab.powerState(vmUUID: created.machineID) == "Running")
            try await xen.ejectCD(machineID: created.machineID)
            try await xen.insertCD(machineID: created.machineID, iso: "guest-tools")
            #expect(await server.lab.insertedCD(vmUUID: created.machineID) == "guest-tools.iso")
            try await xen.reboot(machineID: created.machineID)
            try await xen.stop(machineID: created.machineID, force: false)
            #expect(await server.lab.powerState(vmUUID: created.machineID) == "Halted")

            let template = try await xen.convertToTemplate(machineID: created.machineID, request: TemplateRequest(name: "ws2022-built", instant: true))
            #expect(template.kind == .instant)
            #expect(template.name == "ws2022-built")
            try await xen.setPublished(templateID: template.id, isPublic: true, featured: false)
            #expect(try await xen.listTemplates().first { $0.id == template.id }?.kind == .custom)
            let vdisBefore = try await xen.listVDIs().count
            try await xen.deleteTemplate(templateID: template.id)
            #expect(try await xen.listVDIs().count == vdisBefore - 1)  // the provisioned disk, not the ISOs
            #expect(try await xen.listTemplates().contains { $0.id == template.id } == false)
        }
    }

    @Test(arguments: XapiTransportKind.allCases)
    func forbiddenTransitionsReportTheRealErrorCodes(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport)
            let web = try #require(try await xen.listMachines().first { $0.name == "web-01" })
            await #expect { try await xen.start(machineID: web.id) } throws: { ($0 as? BackendError)?.code == "VM_BAD_POWER_STATE" }
            let golden = try #require(try await xen.listTemplates().first { $0.name == "ws2022-golden" })
            await #expect { try await xen.start(machineID: golden.id) } throws: { ($0 as? BackendError)?.code == "VM_IS_TEMPLATE" }
            let builtin = try #require(try await xen.listTemplates().first { $0.kind == .install })
            await #expect { try await xen.deleteTemplate(templateID: builtin.id) } throws: {
                ($0 as? BackendError)?.code == "VM_CANNOT_DELETE_DEFAULT_TEMPLATE"
            }
            await #expect { try await xen.createContainer(ContainerSpec(name: "x", osTemplate: "No Such OS", bootISO: "ipxe.iso")) } throws: {
                ($0 as? BackendError)?.kind == .notFound
            }
            await #expect { try await xen.session.call("VM.no_such_call", []) } throws: {
                ($0 as? BackendError)?.code == "MESSAGE_METHOD_UNKNOWN"
            }
            let bad = try XenServerHypervisor(configuration: XenServerConfiguration(url: server.endpoint.url, username: "root", password: "wrong",
                                                                                    transport: transport))
            await #expect { try await bad.listMachines() } throws: {
                let e = $0 as? BackendError
                return e?.code == "SESSION_AUTHENTICATION_FAILED" && e?.kind == .unauthorized
            }
        }
    }

    @Test(arguments: XapiTransportKind.allCases)
    func eventStreamStartsWithASnapshotAndFollowsGuestChanges(_ transport: XapiTransportKind) async throws {
        try await withLab { server in
            let xen = try hypervisor(server, transport)
            var events = xen.changes().makeAsyncIterator()
            let first = try await waitForChange(&events) { if case .snapshot = $0 { return true }; return false }
            guard case .snapshot(let machines, let templates) = first else { return }
            #expect(machines.count == 2)
            #expect(templates.count == 6)
            let db = try #require(machines.first { $0.name == "db-01" })

            try await xen.start(machineID: db.id)
            _ = try await waitForChange(&events) {
                if case .machineUpdated(let m) = $0 { return m.id == db.id && m.powerState == .running }; return false
            }
            #expect(await server.lab.setGuestMetrics(vmUUID: db.id, osVersion: ["name": "Microsoft Windows Server 2022 Standard"],
                                                      pvDriversVersion: ["major": "9", "minor": "4", "micro": "0", "build": "100"],
                                                      networks: ["0/ip": "10.0.0.99"]))
            let withIP = try await waitForChange(&events) {
                if case .machineUpdated(let m) = $0 { return m.id == db.id && m.ipAddresses == ["10.0.0.99"] }; return false
            }
            if case .machineUpdated(let m) = withIP { #expect(m.guestToolsVersion == "9.4.0.100") }
            #expect(await server.lab.guestShutdown(vmUUID: db.id))
            _ = try await waitForChange(&events) {
                if case .machineUpdated(let m) = $0 { return m.id == db.id && m.powerState == .halted && m.ipAddresses.isEmpty }; return false
            }
            try await xen.destroy(machineID: db.id)
            _ = try await waitForChange(&events) { $0 == .machineRemoved(id: db.id) }
        }
    }
}
