import BackendKit
import Foundation
import Logging

/// Performs the reducer's effects: one independent task per poller (so a
/// slow or failing backend never delays another) and one task per operator
/// command. Every result comes back to the store as an action. Lives on
/// the main actor only to keep its task table; no I/O happens there.
@MainActor
public final class EffectRunner {
    public let backends: BackendSet
    public let clock: any ModelClock
    public let settings: PollerSettings
    private let random: @Sendable () -> Double
    private let logger: Logger
    private var pollers: [BackendID: (task: Task<Void, Never>, wakeup: Wakeup)] = [:]
    private var commands: [Int: Task<Void, Never>] = [:]

    public init(backends: BackendSet, clock: any ModelClock = SystemClock(), settings: PollerSettings = PollerSettings(),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                logger: Logger = Logger(label: "vizor.effects")) {
        self.backends = backends
        self.clock = clock
        self.settings = settings
        self.random = random
        self.logger = logger
    }

    /// Backends with a running poller.
    public var runningPollers: [BackendID] { pollers.keys.sorted() }

    public func run(_ effect: Effect, send: @escaping @Sendable (Action) async -> Void) {
        switch effect {
        case .startPoller(let tag):
            stopPoller(tag.backend)
            guard let handle = backends[tag.backend] else {
                let error = BackendError(.invalidInput, backend: tag.backend.kind.rawValue,
                                         message: "no client configured for \(tag.backend)")
                Task { await send(.backendFailed(tag, error, at: clock.now(), retryIn: 0, attempt: 1)) }
                return
            }
            let context = PollerContext(tag: tag, clock: clock, settings: settings, random: random, send: send)
            logger.debug("starting poller", metadata: ["backend": "\(tag.backend)", "generation": "\(tag.generation)"])
            let task = Task.detached { await Self.poll(handle, context: context) }
            pollers[tag.backend] = (task, context.wakeup)

        case .stopPoller(let id):
            stopPoller(id)

        case .pollNow(let id):
            pollers[id]?.wakeup.poke()

        case .runMachineCommand(let requestID, let backend, let machineID, let verb):
            let hypervisor = backends[backend]?.hypervisor
            let clock = self.clock
            let logger = self.logger
            commands[requestID] = Task.detached { [weak self] in
                let error = await Self.perform(verb: verb, machineID: machineID, on: hypervisor, backend: backend)
                if let error { logger.warning("machine command failed", metadata: ["verb": "\(verb)", "error": "\(error)"]) }
                await send(.commandFinished(requestID: requestID, backend: backend, error: error, at: clock.now()))
                await self?.forget(requestID)
            }

        case .runTemplateCommand(let requestID, let backend, let templateID, let verb):
            let hypervisor = backends[backend]?.hypervisor
            let clock = self.clock
            commands[requestID] = Task.detached { [weak self] in
                let error = await Self.perform(verb: verb, templateID: templateID, on: hypervisor, backend: backend)
                await send(.commandFinished(requestID: requestID, backend: backend, error: error, at: clock.now()))
                await self?.forget(requestID)
            }
        }
    }

    /// Cancels every poller and command.
    public func stopAll() {
        for id in pollers.keys { stopPoller(id) }
        for task in commands.values { task.cancel() }
        commands = [:]
    }

    private func forget(_ requestID: Int) {
        commands[requestID] = nil
    }

    private func stopPoller(_ id: BackendID) {
        if let poller = pollers.removeValue(forKey: id) { poller.task.cancel() }
    }

    nonisolated private static func poll(_ handle: BackendHandle, context: PollerContext) async {
        switch handle {
        case .streaming(let hypervisor):
            await runStreamPoller(hypervisor, context: context)
        case .polling(let hypervisor, let interval):
            let locationsRead = Flag()
            await runIntervalPoller(interval: interval, context: context, fetch: {
                async let machines = hypervisor.listMachines()
                async let templates = hypervisor.listTemplates()
                let change = HypervisorChange.snapshot(machines: try await machines, templates: try await templates)
                // Zones change rarely: read once, with the first listing that succeeds.
                if !locationsRead.isSet, let locations = try? await hypervisor.listLocations() {
                    locationsRead.set()
                    await context.send(.locationsLoaded(context.tag, locations))
                }
                return change
            }, deliver: { change, at in .hypervisorChanged(context.tag, change, at: at) })
        case .provisioning(let inventory, let interval):
            await runIntervalPoller(interval: interval, context: context, fetch: {
                try await inventory.collectionSizes()
            }, deliver: { counts, at in .provisioningRefreshed(context.tag, counts, at: at) })
        case .media(let scanner, let interval):
            await runIntervalPoller(interval: interval, context: context, fetch: {
                try await scanWithProgress(scanner, context: context)
            }, deliver: { images, at in .mediaScanned(context.tag, images, at: at) })
        }
    }

    nonisolated private static func perform(verb: MachineVerb, machineID: String, on hypervisor: (any Hypervisor)?,
                                            backend: BackendID) async -> BackendError? {
        guard let hypervisor else {
            return BackendError(.invalidInput, backend: backend.kind.rawValue, message: "\(backend) is not a hypervisor")
        }
        do {
            switch verb {
            case .start: try await hypervisor.start(machineID: machineID)
            case .stop: try await hypervisor.stop(machineID: machineID, force: false)
            case .forceStop: try await hypervisor.stop(machineID: machineID, force: true)
            case .reboot: try await hypervisor.reboot(machineID: machineID)
            case .delete: try await hypervisor.destroy(machineID: machineID)
            }
            return nil
        } catch {
            return backendError(error, backend: backend.kind.rawValue)
        }
    }

    nonisolated private static func perform(verb: TemplateVerb, templateID: String, on hypervisor: (any Hypervisor)?,
                                            backend: BackendID) async -> BackendError? {
        guard let hypervisor else {
            return BackendError(.invalidInput, backend: backend.kind.rawValue, message: "\(backend) is not a hypervisor")
        }
        do {
            switch verb {
            case .publish(let featured):
                try await hypervisor.setPublished(templateID: templateID, isPublic: true, featured: featured)
            case .unpublish:
                try await hypervisor.setPublished(templateID: templateID, isPublic: false, featured: false)
            case .delete:
                try await hypervisor.deleteTemplate(templateID: templateID)
            }
            return nil
        } catch {
            return backendError(error, backend: backend.kind.rawValue)
        }
    }
}
