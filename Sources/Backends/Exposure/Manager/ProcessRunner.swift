import BackendKit
import Foundation
import VizorChildProcess

/// Runs a helper program (fusermount3, smbcontrol) with arguments only,
/// never through a shell, and collects its exit status and stderr. A helper
/// that hangs is terminated at the deadline instead of holding the actor.
enum ProcessRunner {
    struct Result {
        var status: Int32
        var output: String
        var errorText: String
    }

    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Result {
        do {
            let outcome = try await ChildProcess(executable, arguments, timeout: timeout).run()
            return Result(status: outcome.termination.shellStatus, output: outcome.output, errorText: outcome.errorText)
        } catch {
            switch error.reason {
            case .cannotStart:
                throw BackendError(.notFound, backend: exposureBackendName, message: error.summary,
                                   hint: "install the package that provides \(executable)")
            case .timedOut:
                throw BackendError(.timeout, backend: exposureBackendName, message: error.description)
            case .cancelled:
                throw BackendError(.cancelled, backend: exposureBackendName, message: error.description)
            case .inputTooLarge, .ended:
                throw BackendError(.remoteFailure, backend: exposureBackendName, message: error.description)
            }
        }
    }
}
