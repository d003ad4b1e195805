import BackendKit

/// Live updates over `event.from`: a first call with an empty token returns
/// every object (the snapshot), later calls block until something changes.
/// Events are applied to a local copy of the records and turned into domain
/// changes. A lost token or a dropped connection restarts from an empty
/// token, i.e. a fresh snapshot; after `maxFailures` failures in a row the
/// stream ends with the error.
struct XenEventStream: Sendable {
    let hypervisor: XenServerHypervisor
    var maxFailures = 3
    static let classes: [XapiValue] = ["vm", "vm_guest_metrics", "task", "vbd", "vif"]

    /// Local copy of the subscribed tables.
    struct Cache {
        var vms: [String: XapiValue] = [:]
        var metrics: [String: XapiValue] = [:]
        var vifs: [String: XapiValue] = [:]
        var vbds: [String: XapiValue] = [:]
        var tasks: [String: XapiValue] = [:]
        /// Which domain object (uuid) each VM ref showed as, to report removals.
        var shown: [String: (uuid: String, template: Bool)] = [:]
    }

    func stream() -> AsyncThrowingStream<HypervisorChange, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await run(continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func run(_ out: AsyncThrowingStream<HypervisorChange, Error>.Continuation) async throws {
        let session = hypervisor.session
        let config = session.configuration
        var failures = 0
        while !Task.isCancelled {
            var cache = Cache()
            var token = ""
            do {
                while !Task.isCancelled {
                    let batch = try await session.call("event.from", [.array(Self.classes), .string(token), .double(config.eventPollTimeout)],
                                                       timeout: config.callTimeout + .seconds(Int64(config.eventPollTimeout.rounded(.up))))
                    let first = token.isEmpty
                    guard let events = batch["events"].array, let next = batch["token"].string else {
                        throw BackendError(.protocolViolation, backend: xenserverBackendName, message: "event.from answered without events or token")
                    }
                    token = next
                    let touched = apply(events, to: &cache)
                    failures = 0
                    if first {
                        out.yield(snapshot(&cache))
                    } else {
                        for change in changes(touched, &cache) { out.yield(change) }
                    }
                }
            } catch let error as BackendError where error.code == "EVENTS_LOST" || error.code == "EVENT_FROM_TOKEN_PARSE_FAILURE" {
                continue  // position lost: resynchronise from a fresh snapshot
            } catch let error as BackendError where error.isTransient {
                failures += 1
                if failures >= maxFailures || Task.isCancelled { throw error }
                try await Task.sleep(for: .milliseconds(200 * (1 << failures)))
            }
        }
    }

    /// Applies a batch; returns the VM refs whose view may have changed.
    func apply(_ events: [XapiValue], to cache: inout Cache) -> Set<String> {
        var touched = Set<String>()
        for e in events {
            let ref = e["ref"].text
            let op = e["operation"].text
            let snap = op == "del" ? nil : e["snapshot"]
            switch e["class"].text.lowercased() {
            case "vm":
                cache.vms[ref] = snap
                touched.insert(ref)
            case "vm_guest_metrics":
                cache.metrics[ref] = snap
                for (vmRef, vm) in cache.vms where vm["guest_metrics"].text == ref { touched.insert(vmRef) }
            case "vif":
                let owner = (snap ?? cache.vifs[ref] ?? .null)["VM"].text
                cache.vifs[ref] = snap
                touched.insert(owner)
            case "vbd":
                cache.vbds[ref] = snap
            case "task":
                cache.tasks[ref] = snap
            default:
                break
            }
        }
        return touched
    }

    func snapshot(_ cache: inout Cache) -> HypervisorChange {
        var machines: [MachineRecord] = []
        var templates: [TemplateRecord] = []
        let location = hypervisor.location
        for (ref, vm) in cache.vms {
            if XenRecords.isRealVM(vm) {
                machines.append(XenRecords.machine(vm, vifs: cache.vifs, metrics: cache.metrics, location: location))
                cache.shown[ref] = (vm["uuid"].text, false)
            } else if XenRecords.isTemplate(vm) {
                templates.append(XenRecords.template(vm, location: location))
                cache.shown[ref] = (vm["uuid"].text, true)
            }
        }
        return .snapshot(machines: machines.sorted { $0.name < $1.name }, templates: templates.sorted { $0.name < $1.name })
    }

    func changes(_ touched: Set<String>, _ cache: inout Cache) -> [HypervisorChange] {
        var out: [HypervisorChange] = []
        let location = hypervisor.location
        for ref in touched.sorted() {
            let before = cache.shown[ref]
            guard let vm = cache.vms[ref] else {
                if let before { out.append(before.template ? .templateRemoved(id: before.uuid) : .machineRemoved(id: before.uuid)) }
                cache.shown[ref] = nil
                continue
            }
            if XenRecords.isRealVM(vm) {
                if let before, before.template { out.append(.templateRemoved(id: before.uuid)) }
                out.append(.machineUpdated(XenRecords.machine(vm, vifs: cache.vifs, metrics: cache.metrics, location: location)))
                cache.shown[ref] = (vm["uuid"].text, false)
            } else if XenRecords.isTemplate(vm) {
                if let before, !before.template { out.append(.machineRemoved(id: before.uuid)) }
                out.append(.templateUpdated(XenRecords.template(vm, location: location)))
                cache.shown[ref] = (vm["uuid"].text, true)
            }
        }
        return out
    }
}
