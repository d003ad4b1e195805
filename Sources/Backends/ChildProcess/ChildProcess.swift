import CChildProcess
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// One run of a helper program (smbcontrol, fusermount3, a secret command):
/// arguments only, never through a shell unless the caller names one. Both
/// output streams are read at once, so a child that fills one pipe while the
/// other is read cannot deadlock; what is kept of them is bounded; a child
/// that outlives `timeout` is sent SIGTERM and, after `terminationGrace`,
/// SIGKILL, with every process it started (it runs in a process group of its
/// own). No thread is blocked or put to sleep while waiting.
public struct ChildProcess: Sendable {
    /// Absolute path of the program.
    public var executable: String
    public var arguments: [String]
    /// The child's whole environment; nil to inherit this process's.
    public var environment: [String: String]?
    /// Written to the child's standard input, which then reaches end of file;
    /// nil gives it an empty standard input. This is the way to hand a child
    /// a secret: never an argument or an environment variable, which other
    /// users can read in /proc. At most `maximumInputBytes`.
    public var standardInput: [UInt8]?
    /// Longest the child may run before it is terminated.
    public var timeout: Duration
    /// Time between SIGTERM and SIGKILL when the deadline passes.
    public var terminationGrace: Duration
    /// Bytes of standard output kept (the first ones); the rest is read and dropped.
    public var outputLimit: Int
    /// Bytes of standard error kept (the last ones); the rest is read and dropped.
    public var errorLimit: Int
    /// How errors name the command. Defaults to the program and its
    /// arguments; set it when an argument should not be repeated.
    public var displayName: String

    /// Standard input larger than this is refused: it is written to a pipe
    /// before the child starts, and a pipe holds 64 KiB on Linux.
    public static let maximumInputBytes = 64 * 1024

    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                standardInput: [UInt8]? = nil, timeout: Duration = .seconds(30),
                terminationGrace: Duration = .seconds(2), outputLimit: Int = 1 << 20, errorLimit: Int = 64 << 10,
                displayName: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.standardInput = standardInput
        self.timeout = timeout
        self.terminationGrace = terminationGrace
        self.outputLimit = outputLimit
        self.errorLimit = errorLimit
        self.displayName = displayName ?? ([executable] + arguments).joined(separator: " ")
    }

    /// Runs the child to its end. A non-zero exit is an outcome, not an
    /// error (see `ChildProcessOutcome.requireSuccess()`); not starting,
    /// overrunning the deadline and cancellation are errors.
    public func run() async throws(ChildProcessError) -> ChildProcessOutcome {
        if let standardInput {
            let input = try prefilledPipe(standardInput)
            // Subprocess closes our read end once the child has it, or when it cannot start.
            return try await launch(input: .fileDescriptor(input, closeAfterSpawningProcess: true))
        }
        return try await launch(input: .none)
    }

    private enum Event: Sendable {
        case finished(Result<ChildProcessOutcome, ChildProcessError>)
        case deadline
        case cancelled
    }

    private func launch<Input: InputProtocol>(input: Input) async throws(ChildProcessError) -> ChildProcessOutcome {
        var options = PlatformOptions()
        // A group of its own, so the deadline reaches what the child started
        // (the command of `sh -c`, a helper's own children) and not Vizor.
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)]
        let environment: Subprocess.Environment = self.environment.map { values in
            .custom(Dictionary(uniqueKeysWithValues: values.compactMap { key, value in
                Subprocess.Environment.Key(rawValue: key).map { ($0, value) }
            }))
        } ?? .inherit
        let configuration = Configuration(executable: .path(FilePath(executable)), arguments: Arguments(arguments),
                                          environment: environment, platformOptions: options)
        let outputLimit = self.outputLimit, errorLimit = self.errorLimit, name = displayName, timeout = self.timeout
        let events = await withTaskGroup(of: Event.self, returning: [Event].self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(configuration, input: input, output: .sequence,
                                                          error: .sequence) { execution in
                        await withTaskGroup(of: Captured.self, returning: (Captured, Captured).self) { readers in
                            readers.addTask { await Captured.head(of: execution.standardOutput, limit: outputLimit) }
                            readers.addTask { await Captured.tail(of: execution.standardError, limit: errorLimit) }
                            var output = Captured(), error = Captured()
                            for await piece in readers {
                                if piece.isTail { error = piece } else { output = piece }
                            }
                            return (output, error)
                        }
                    }
                    let (output, error) = result.closureResult
                    return .finished(.success(ChildProcessOutcome(
                        termination: Termination(result.terminationStatus), standardOutput: output.bytes,
                        standardOutputTruncated: output.dropped, standardErrorTail: error.bytes)))
                } catch {
                    return .finished(.failure(ChildProcessError(command: name, reason: .cannotStart(Self.describe(error)))))
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return .cancelled }
                return .deadline
            }
            var events: [Event] = []
            // The first event decides: the run ends, or the deadline passes
            // and cancelling the run tears the child down (SIGTERM, grace,
            // SIGKILL), after which the run ends too.
            if let first = await group.next() { events.append(first) }
            group.cancelAll()
            while let next = await group.next() { events.append(next) }
            return events
        }
        var finished: Result<ChildProcessOutcome, ChildProcessError>?
        var deadlinePassed = false
        for event in events {
            switch event {
            case .finished(let result): finished = result
            case .deadline: deadlinePassed = true
            case .cancelled: break
            }
        }
        let tail = (try? finished?.get())?.standardErrorTail ?? []
        if deadlinePassed {
            throw ChildProcessError(command: name, reason: .timedOut(timeout), standardErrorTail: tail)
        }
        // A caller that gave up while the child still ran gets no outcome:
        // the child was torn down, and its status says only that.
        if case .finished? = events.first {} else {
            throw ChildProcessError(command: name, reason: .cancelled, standardErrorTail: tail)
        }
        switch finished {
        case .success(let outcome)?: return outcome
        case .failure(let error)?: throw error
        case nil: throw ChildProcessError(command: name, reason: .cancelled)
        }
    }

    /// A pipe whose write end already holds `bytes` and is closed, so the
    /// child reads them then end of file, and no write can block or raise
    /// SIGPIPE once the child runs.
    private func prefilledPipe(_ bytes: [UInt8]) throws(ChildProcessError) -> FileDescriptor {
        guard bytes.count <= Self.maximumInputBytes else {
            throw ChildProcessError(command: displayName, reason: .inputTooLarge(bytes.count))
        }
        var ends: [Int32] = [-1, -1]
        guard vizor_pipe_cloexec(&ends) == 0 else {
            throw ChildProcessError(command: displayName, reason: .cannotStart("no pipe for standard input: \(Self.errnoText())"))
        }
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                write(ends[1], raw.baseAddress! + written, raw.count - written)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = Self.errnoText()
                close(ends[0]); close(ends[1])
                throw ChildProcessError(command: displayName, reason: .cannotStart("standard input not written: \(reason)"))
            }
            written += count
        }
        close(ends[1])
        return FileDescriptor(rawValue: ends[0])
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Subprocess's own words ("Executable \"/usr/bin/x\" is not found or cannot be executed.").
    private static func describe(_ error: any Error) -> String {
        String(describing: error)
    }
}

/// What a child left: how it ended and what it printed (bounded).
public struct ChildProcessOutcome: Sendable, Equatable {
    public var termination: Termination
    /// The first `outputLimit` bytes of standard output.
    public var standardOutput: [UInt8]
    /// The child printed more than `outputLimit` bytes.
    public var standardOutputTruncated: Bool
    /// The last `errorLimit` bytes of standard error.
    public var standardErrorTail: [UInt8]

    public init(termination: Termination, standardOutput: [UInt8], standardOutputTruncated: Bool,
                standardErrorTail: [UInt8]) {
        self.termination = termination
        self.standardOutput = standardOutput
        self.standardOutputTruncated = standardOutputTruncated
        self.standardErrorTail = standardErrorTail
    }

    public var succeeded: Bool { termination == .exited(0) }
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }
    /// Standard error, trimmed.
    public var errorText: String {
        String(decoding: standardErrorTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// The last `count` non-empty lines of standard error.
    public func lastErrorLines(_ count: Int = 5) -> [String] {
        ChildProcessError.lastLines(of: standardErrorTail, count: count)
    }

    /// Throws unless the child exited with status 0; the error names the
    /// command and carries the end of its standard error.
    public func requireSuccess(_ command: String) throws(ChildProcessError) {
        guard !succeeded else { return }
        throw ChildProcessError(command: command, reason: .ended(termination), standardErrorTail: standardErrorTail)
    }
}

/// How a child ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signalled(signal)
        }
    }

    /// The status a shell would show: the exit code, or 128 + the signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): return code
        case .signalled(let signal): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signalled(let signal): return "was killed by signal \(signal)"
        }
    }
}

/// Why a child did not give an outcome. Names the command (never its
/// standard input) and carries the last lines of its standard error.
public struct ChildProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The program could not be started (missing, not executable, ...).
        case cannotStart(String)
        /// The deadline passed; the child and its process group were terminated.
        case timedOut(Duration)
        /// The waiting task was cancelled; the child was terminated.
        case cancelled
        /// Standard input over `ChildProcess.maximumInputBytes`.
        case inputTooLarge(Int)
        /// Ended other than with status 0 (from `requireSuccess`).
        case ended(Termination)
    }

    public var command: String
    public var reason: Reason
    /// The last lines of the child's standard error, oldest first.
    public var lastErrorLines: [String]

    public init(command: String, reason: Reason, standardErrorTail: [UInt8] = []) {
        self.command = command
        self.reason = reason
        self.lastErrorLines = Self.lastLines(of: standardErrorTail, count: 5)
    }

    /// What happened, without the standard error lines.
    public var summary: String {
        switch reason {
        case .cannotStart(let why): return "\(command) could not start (\(why))"
        case .timedOut(let limit): return "\(command) did not finish within \(Self.seconds(limit)) and was terminated"
        case .cancelled: return "\(command) was stopped because its caller gave up"
        case .inputTooLarge(let count):
            return "\(command) was not started: \(count) bytes of standard input exceed \(ChildProcess.maximumInputBytes)"
        case .ended(let termination): return "\(command) \(termination)"
        }
    }

    public var description: String {
        lastErrorLines.isEmpty ? summary : summary + "; it said: " + lastErrorLines.joined(separator: " / ")
    }

    static func lastLines(of bytes: [UInt8], count: Int) -> [String] {
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return Array(lines.suffix(count))
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        return String(format: "%.1f s", Double(seconds) + Double(attoseconds) / 1e18)
    }
}

/// What one reader kept of a stream.
private struct Captured: Sendable {
    var bytes: [UInt8] = []
    /// Bytes were read past the limit and dropped.
    var dropped = false
    var isTail = false

    /// Keeps the first `limit` bytes, reads the rest to the end and drops it.
    static func head(of stream: SubprocessOutputSequence, limit: Int) async -> Captured {
        var kept = Captured()
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { raw in
                    let room = max(0, limit - kept.bytes.count)
                    if room > 0 { kept.bytes.append(contentsOf: raw.prefix(room)) }
                    if raw.count > room { kept.dropped = true }
                }
            }
        } catch {
            // The stream ends early only when the run is torn down; what was
            // read so far is still worth reporting.
        }
        return kept
    }

    /// Keeps the last `limit` bytes.
    static func tail(of stream: SubprocessOutputSequence, limit: Int) async -> Captured {
        var kept = Captured(isTail: true)
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { raw in kept.bytes.append(contentsOf: raw) }
                if kept.bytes.count > 2 * limit {
                    kept.bytes.removeFirst(kept.bytes.count - limit)
                    kept.dropped = true
                }
            }
        } catch {
            // As for `head`.
        }
        if kept.bytes.count > limit {
            kept.bytes.removeFirst(kept.bytes.count - limit)
            kept.dropped = true
        }
        return kept
    }
}
