import Foundation

/// What a simulated boot ended with.
public struct LabRazorBoot: Sendable, Equatable {
    public var nodeName: String
    public var nodeID: Int
    /// The policy bound at check-in, if any matched.
    public var policy: String?
    /// Task and boot template served by the last `/svc/boot` (e.g. `windows/2016`, `boot_wim`).
    public var task: String
    public var template: String
    /// The iPXE script `/svc/boot` answered.
    public var script: String
    /// The template is the task's own (`create-task`), rendered from its ERB:
    /// Vizor's per-job task, whose script iPXE runs line by line.
    public var customTemplate: Bool
}

/// One stage of a Windows install, in the order razor's windows task and
/// Vizor's post-install sequence make a node call `/svc`.
public enum LabWindowsInstallStep: Sendable, Equatable {
    /// wimboot fetched by iPXE (`get_raw_file`), then WinPE's razor client
    /// asks `/svc/nodeid` and fetches `second-stage.ps1` (`get_task_file`).
    case winpe
    /// second-stage fetches `unattended.xml` and maps the SMB share (a `/svc/log` line).
    case secondStage
    /// setup.exe runs: `/svc/log` lines `start_installer` and `exit_code=N`
    /// (`unexpected_exit_code:N` at error severity when N is not 0).
    case setup(exitCode: Int)
    /// A post-install step starts: `stage_done` `stage_<index>_begins`, after a log line naming it.
    case postInstallBegin(index: Int, name: String)
    /// A post-install step ends: `stage_done` `stage_<index>_ends`.
    case postInstallEnd(index: Int, name: String)
    /// `stage_done` `finished`: the node becomes installed with its policy's name.
    case finished

    /// The whole install in order, with a begin and an end per post-install step.
    public static func sequence(postInstallSteps: [String]) -> [LabWindowsInstallStep] {
        var steps: [LabWindowsInstallStep] = [.winpe, .secondStage, .setup(exitCode: 0)]
        for (index, name) in postInstallSteps.enumerated() {
            steps.append(.postInstallBegin(index: index, name: name))
            steps.append(.postInstallEnd(index: index, name: name))
        }
        steps.append(.finished)
        return steps
    }
}

/// What exists on the lab server, for tests that assert cleanup.
public struct LabRazorInventory: Sendable, Equatable {
    public var repos: [String]
    /// Tasks created with `create-task` (the shipped file tasks always exist).
    public var createdTasks: [String]
    public var tags: [String]
    public var brokers: [String]
    public var policies: [String]
    public var nodes: [String]
    public var commandCount: Int
}

/// A simulation hook was given something the server would refuse.
public struct LabRazorSimulationError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var description: String { "lab razor: \(message) [\(status)]" }
}

extension LabRazorState {
    private func simulated<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as LabRazorFailure {
            throw LabRazorSimulationError(status: failure.status, message: failure.message)
        } catch let failure as LabRazorERBError {
            throw LabRazorSimulationError(status: 500, message: failure.description)
        }
    }

    private func nodeForSimulation(_ name: String) throws -> Int {
        guard let index = node(named: name) else { throw LabRazorSimulationError(status: 404, message: "no node matched name=\(name)") }
        return index
    }

    func simulateBoot(mac: String, facts: [String: String], base: String) throws -> LabRazorBoot {
        try simulated {
            let hyphen = mac.lowercased().replacingOccurrences(of: ":", with: "-")
            let query = [("net0", hyphen), ("dhcp_mac", hyphen), ("fact_boot_type", "pcbios")]
            var outcome = try svcBoot(query: query, base: base)
            if outcome.template == "boot" {
                var factObject: LabObject = ["macaddress": .string(hyphen.replacingOccurrences(of: "-", with: ":")),
                                             "architecture": .string("x86_64"), "is_virtual": .string("true"),
                                             "processorcount": .string("2")]
                for key in facts.keys.sorted() { factObject[key] = .string(facts[key] ?? "") }
                if checkin(outcome.node, facts: factObject) == "reboot" {
                    outcome = try svcBoot(query: query, base: base)
                }
            }
            let node = nodes[outcome.node]
            return LabRazorBoot(nodeName: node.name, nodeID: node.id, policy: node.policy, task: outcome.task, template: outcome.template,
                                script: outcome.script, customTemplate: outcome.custom)
        }
    }

    func advanceWindowsInstall(node name: String, step: LabWindowsInstallStep, base: String) throws {
        let index = try nodeForSimulation(name)
        let id = nodes[index].id
        let repo = nodes[index].policy.flatMap { policy in policies.first { $0.name == policy }?.repo } ?? ""
        try simulated {
            switch step {
            case .winpe:
                _ = try fetchFile(index, template: "wimboot", raw: true, base: base)
                _ = try fetchFile(index, template: "second-stage.ps1", raw: false, base: base)
            case .secondStage:
                _ = try fetchFile(index, template: "unattended.xml", raw: false, base: base)
                log(nodeID: id, ["msg": .string("map_network_share: \\\\razor\\razor\\\(repo) mapped as i:")])
            case .setup(let code):
                log(nodeID: id, ["msg": .string("start_installer: i:\\setup.exe /unattend:unattended.xml /noreboot")])
                log(nodeID: id, ["msg": .string("exit_code=\(code)")])
                if code != 0 { log(nodeID: id, severity: "error", ["msg": .string("unexpected_exit_code:\(code)")]) }
            case .postInstallBegin(let step, let stepName):
                log(nodeID: id, ["msg": .string("post_install: \(stepName)")])
                stageDone(index, name: "stage_\(step)_begins")
            case .postInstallEnd(let step, _):
                stageDone(index, name: "stage_\(step)_ends")
            case .finished:
                stageDone(index, name: "finished")
            }
        }
    }

    func appendLog(node name: String, severity: String, message: String) throws {
        let index = try nodeForSimulation(name)
        log(nodeID: nodes[index].id, severity: severity, ["msg": .string(message)])
    }

    func inventory() -> LabRazorInventory {
        let shipped = Set(LabBuiltinTasks.all.map(\.name))
        return LabRazorInventory(repos: repos.map(\.name), createdTasks: tasks.map(\.name).filter { !shipped.contains($0) },
                                 tags: tags.map(\.name), brokers: brokers.map(\.name), policies: policies.map(\.name),
                                 nodes: nodes.map(\.name), commandCount: commands.count)
    }

    func nodeDetail(_ name: String, base: String) -> String? {
        node(named: name).map { nodeView(nodes[$0], base: base).serialized() }
    }
}
