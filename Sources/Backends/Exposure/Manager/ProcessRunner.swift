import BackendKit
import Foundation

/// Runs a helper program (fusermount3, smbcontrol) with arguments only,
/// never through a shell, and collects its exit status and stderr.
enum ProcessRunner {
    struct Result {
        var status: Int32
        var output: String
        var errorText: String
    }

    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 30) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw BackendError(.notFound, backend: exposureBackendName, message: "cannot run \(executable): \(error)",
                               hint: "install the package that provides it")
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            throw BackendError(.timeout, backend: exposureBackendName, message: "\(executable) did not finish in \(Int(timeout)) s")
        }
        return Result(status: process.terminationStatus,
                      output: String(decoding: outData, as: UTF8.self),
                      errorText: String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
