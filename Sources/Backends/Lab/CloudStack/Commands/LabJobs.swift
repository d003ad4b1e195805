import Foundation

/// Async jobs: queued with a duration, completed lazily by `settle()`,
/// answered by queryAsyncJobResult in the AsyncJobResponse shape.
extension LabCloudStack {
    static let jobClasses: [String: String] = [
        "deployVirtualMachine": "org.apache.cloudstack.api.command.user.vm.DeployVMCmd",
        "startVirtualMachine": "org.apache.cloudstack.api.command.user.vm.StartVMCmd",
        "stopVirtualMachine": "org.apache.cloudstack.api.command.user.vm.StopVMCmd",
        "rebootVirtualMachine": "org.apache.cloudstack.api.command.user.vm.RebootVMCmd",
        "destroyVirtualMachine": "org.apache.cloudstack.api.command.user.vm.DestroyVMCmd",
        "attachIso": "org.apache.cloudstack.api.command.user.iso.AttachIsoCmd",
        "detachIso": "org.apache.cloudstack.api.command.user.iso.DetachIsoCmd",
        "createTemplate": "org.apache.cloudstack.api.command.user.template.CreateTemplateCmd",
        "copyTemplate": "org.apache.cloudstack.api.command.user.template.CopyTemplateCmd",
        "deleteTemplate": "org.apache.cloudstack.api.command.user.template.DeleteTemplateCmd",
        "deleteIso": "org.apache.cloudstack.api.command.user.iso.DeleteIsoCmd",
        "createTags": "org.apache.cloudstack.api.command.user.tag.CreateTagsCmd",
        "deleteTags": "org.apache.cloudstack.api.command.user.tag.DeleteTagsCmd",
    ]

    /// Queues a job and returns its id.
    func enqueue(_ call: LabCall, _ action: LabJobAction, instanceType: String, instanceID: String?) -> String {
        let id = Self.uuid()
        jobs.append(LabJob(id: id, command: call.command, account: call.account, action: action, instanceType: instanceType,
                           instanceID: instanceID, created: Date(), completed: nil, readyAt: clock.now.advanced(by: duration(for: call.command))))
        jobIndex[id] = jobs.count - 1
        return id
    }

    func complete(jobAt index: Int) {
        let job = jobs[index]
        if var failure = jobFailures[job.command], failure.remaining > 0 {
            failure.remaining -= 1
            jobFailures[job.command] = failure
            rollBack(job.action)
            jobs[index].status = 2
            jobs[index].resultCode = failure.code
            jobs[index].result = .obj([("errorcode", .int(failure.code)), ("errortext", .string(failure.text))])
        } else {
            jobs[index].status = 1
            jobs[index].result = perform(job.action)
        }
        jobs[index].completed = Date()
        if let vmIndex = vms.firstIndex(where: { $0.pendingJob == job.id }) { vms[vmIndex].pendingJob = nil }
    }

    /// What the job does on success; returns its `jobresult`.
    func perform(_ action: LabJobAction) -> LabJSON {
        switch action {
        case .deploy(let vm, let start):
            update(vm) { if start { $0.state = "Running"; $0.bootCount += 1 } else { $0.state = "Stopped" } }
            return vmResult(vm)
        case .start(let vm):
            update(vm) { $0.state = "Running"; $0.bootCount += 1 }
            return vmResult(vm)
        case .stop(let vm, _):
            update(vm) { $0.state = "Stopped" }
            return vmResult(vm)
        case .reboot(let vm):
            update(vm) { $0.bootCount += 1 }
            return vmResult(vm)
        case .destroy(let vm, let expunge, _):
            let delay = duration(for: "destroyVirtualMachine")
            update(vm) {
                $0.state = expunge ? "Expunging" : "Destroyed"
                if expunge { $0.expungeAt = self.clock.now.advanced(by: delay) }
            }
            return vmResult(vm)
        case .attachIso(let vm, let iso):
            update(vm) { $0.isoID = iso }
            return vmResult(vm)
        case .detachIso(let vm):
            update(vm) { $0.isoID = nil }
            return vmResult(vm)
        case .createTemplate(let template):
            if let index = images.firstIndex(where: { $0.id == template }) { images[index].ready = true }
            return templateResult(template, zone: nil)
        case .copyTemplate(let template, let zones):
            if let index = images.firstIndex(where: { $0.id == template }) {
                for zone in zones where !images[index].zoneIDs.contains(zone) { images[index].zoneIDs.append(zone) }
            }
            return templateResult(template, zone: zones.first)
        case .deleteTemplate(let template, let zone):
            if let index = images.firstIndex(where: { $0.id == template }) {
                if let zone { images[index].zoneIDs.removeAll { $0 == zone } } else { images[index].zoneIDs = [] }
                if images[index].zoneIDs.isEmpty {
                    images.remove(at: index)
                    tags.removeAll { $0.resourceID == template }
                }
            }
            return successAnswer()
        case .createTags(let newTags):
            for tag in newTags {
                tags.removeAll { $0.resourceID == tag.resourceID && $0.key == tag.key }
                tags.append(tag)
            }
            return successAnswer()
        case .deleteTags(let ids, let type, let keys):
            tags.removeAll { tag in
                ids.contains(tag.resourceID) && tag.resourceType.lowercased() == type.lowercased()
                    && (keys.isEmpty || keys[tag.key].map { $0 == nil || $0 == tag.value } == true)
            }
            return successAnswer()
        }
    }

    /// Puts things back as they were when a job fails.
    func rollBack(_ action: LabJobAction) {
        switch action {
        case .deploy(let vm, _): update(vm) { $0.state = "Error" }
        case .start(let vm): update(vm) { $0.state = "Stopped" }
        case .stop(let vm, let previous), .destroy(let vm, _, let previous): update(vm) { $0.state = previous }
        case .createTemplate(let template): images.removeAll { $0.id == template }
        default: break
        }
    }

    func update(_ vmID: String, _ change: (inout LabVM) -> Void) {
        if let index = vms.firstIndex(where: { $0.id == vmID }) { change(&vms[index]) }
    }

    func vmResult(_ vmID: String) -> LabJSON {
        guard let vm = vms.first(where: { $0.id == vmID }) else { return successAnswer() }
        return .object(["virtualmachine": vmJSON(vm)])
    }

    func templateResult(_ id: String, zone: String?) -> LabJSON {
        guard let image = images.first(where: { $0.id == id }) else { return successAnswer() }
        return .object(["template": imageJSON(image, zoneID: zone ?? image.zoneIDs.first ?? zoneIDs[0])])
    }

    func jobJSON(_ job: LabJob) -> LabJSON {
        .obj([
            ("accountid", .string(job.account.id)), ("account", .string(job.account.name)),
            ("userid", .string(job.account.userID)), ("domainid", .string(Self.rootDomainID)), ("domainpath", .string("ROOT")),
            ("cmd", .string(Self.jobClasses[job.command] ?? job.command)),
            ("jobstatus", .int(job.status)), ("jobprocstatus", .int(0)), ("jobresultcode", .int(job.resultCode)),
            ("jobresulttype", job.status == 0 ? nil : .string("object")), ("jobresult", job.result),
            ("jobinstancetype", .string(job.instanceType)), ("jobinstanceid", job.instanceID.map { .string($0) }),
            ("created", .string(stamp(job.created))), ("completed", job.completed.map { .string(stamp($0)) }),
            ("jobid", .string(job.id)),
        ])
    }

    func queryAsyncJobResult(_ call: LabCall) throws -> LabJSON {
        let id = try call.required("jobid")
        guard let index = jobIndex[id], call.account.isAdmin || jobs[index].account.id == call.account.id else {
            throw LabAPIError.invalid(call.command, "jobid", id)
        }
        return jobJSON(jobs[index])
    }

    func listAsyncJobs(_ call: LabCall) throws -> LabJSON {
        let visible = jobs.filter { (call.account.isAdmin && call.flag("listall") == true) || $0.account.id == call.account.id }
        return try listAnswer(call, key: "asyncjobs", visible, render: jobJSON)
    }

    static let rootDomainID = "b6c4d3a2-0b6e-11ee-9f1c-0242ac110002"
}
