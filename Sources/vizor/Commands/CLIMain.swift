import ArgumentParser
import Foundation
import Logging
import BackendKit
import VizorModel
import VizorStore

/// Vizor's documented exit codes, the same for every sub-command.
enum ExitStatus: Int32 {
    case ok = 0
    case failure = 1
    case usage = 2
    case notFound = 3
    case unreachable = 4

    /// The code a backend error maps to.
    init(_ error: BackendError) {
        switch error.kind {
        case .notFound: self = .notFound
        case .unreachable, .timeout: self = .unreachable
        case .invalidInput: self = .failure
        default: self = .failure
        }
    }
}

/// A failure a command reports to the operator with a chosen exit code.
struct CLIError: Error {
    var status: ExitStatus
    var message: String
    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Process-wide things set up once before any command runs.
enum CLIEnvironment {
    /// Every secret resolved in this process, blanked out of the log file.
    static let redactor = Redactor()
}

extension Vizor {
    /// Replaces ArgumentParser's entry point to route logs to a file under
    /// `$XDG_STATE_HOME/vizor/` and to map errors onto Vizor's exit codes
    /// (ArgumentParser's own usage code is 64; Vizor documents 2).
    static func main() async {
        let paths = XDGPaths()
        let level = ProcessInfo.processInfo.environment["VIZOR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LogSink(directory: paths.state, redactor: CLIEnvironment.redactor).bootstrap(level: level)
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(ExitStatus.ok.rawValue)
        } catch let error as CLIError {
            FileHandle.standardError.write(Data(("vizor: " + error.message + "\n").utf8))
            Logger(label: "vizor.cli").error("command failed", metadata: ["reason": "\(error.message)"])
            Foundation.exit(error.status.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
