/// What the first bytes of a PE/COFF file say: enough for `vizor doctor` to
/// tell which firmware can run a wimboot build and which WinPE can run a
/// `curl.exe`, without running either. Reads the MS-DOS stub's `e_lfanew`,
/// the `PE\0\0` signature, the COFF machine type and the optional header's
/// subsystem (Microsoft PE format reference), and the Linux boot header
/// (`HdrS` at 0x202) through which iPXE loads wimboot under BIOS.
public struct PEImage: Sendable, Equatable {
    public enum Machine: Sendable, Equatable, CustomStringConvertible {
        case i386, x86_64, arm64
        case other(UInt16)

        init(_ raw: UInt16) {
            switch raw {
            case 0x014c: self = .i386
            case 0x8664: self = .x86_64
            case 0xaa64: self = .arm64
            default: self = .other(raw)
            }
        }

        public var description: String {
            switch self {
            case .i386: return "i386"
            case .x86_64: return "x86_64"
            case .arm64: return "arm64"
            case .other(let raw): return "machine 0x" + String(raw, radix: 16)
            }
        }

        /// The Windows architecture whose WinPE runs this machine type natively
        /// (WinPE has no WOW64, so a 32-bit program does not run on 64-bit WinPE).
        public var windowsArchitecture: WindowsArchitecture? {
            switch self {
            case .i386: return .x86
            case .x86_64: return .amd64
            case .arm64: return .arm64
            case .other: return nil
            }
        }
    }

    public var machine: Machine
    /// The optional header's `Subsystem`: 10 is an EFI application, 3 a console program.
    public var subsystem: UInt16?
    /// The first sector carries a Linux boot header, so iPXE can load the file under BIOS.
    public var hasLinuxBootHeader: Bool

    public var isEFIApplication: Bool { subsystem == 10 }
    public var isConsoleProgram: Bool { subsystem == 3 }

    /// Parses the start of a file (a few KiB suffice); nil when it is not a PE image.
    public init?(prefix bytes: [UInt8]) {
        func u16(_ offset: Int) -> UInt16? {
            guard offset >= 0, offset + 2 <= bytes.count else { return nil }
            return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        }
        func u32(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 4 <= bytes.count else { return nil }
            return (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        guard bytes.count >= 0x40, bytes[0] == 0x4d, bytes[1] == 0x5a, let header = u32(0x3c),
              header + 24 <= bytes.count, Array(bytes[header..<(header + 4)]) == [0x50, 0x45, 0, 0],
              let machine = u16(header + 4), let optionalSize = u16(header + 20)
        else { return nil }
        self.machine = Machine(machine)
        // Subsystem sits at offset 68 of the optional header, in PE32 and PE32+ alike.
        subsystem = optionalSize >= 70 ? u16(header + 24 + 68) : nil
        hasLinuxBootHeader = bytes.count >= 0x206 && Array(bytes[0x202..<0x206]) == Array("HdrS".utf8)
    }

    /// "x86_64 EFI application, BIOS (Linux boot header)" and the like.
    public var summary: String {
        var parts = [machine.description + (isEFIApplication ? " EFI application" : isConsoleProgram ? " console program" : " image")]
        if hasLinuxBootHeader { parts.append("BIOS (Linux boot header)") }
        return parts.joined(separator: ", ")
    }
}
