/// Little-endian field stores for the writers.
extension Array where Element == UInt8 {
    mutating func put16(_ value: UInt16, at: Int) {
        self[at] = UInt8(value & 0xFF); self[at + 1] = UInt8(value >> 8)
    }
    mutating func put32(_ value: UInt32, at: Int) {
        for i in 0..<4 { self[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
    mutating func put32be(_ value: UInt32, at: Int) {
        for i in 0..<4 { self[at + 3 - i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
    mutating func put64(_ value: UInt64, at: Int) {
        for i in 0..<8 { self[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
    /// Both-endian 32-bit (ISO 9660).
    mutating func putBoth32(_ value: UInt32, at: Int) { put32(value, at: at); put32be(value, at: at + 4) }
    mutating func putBoth16(_ value: UInt16, at: Int) {
        put16(value, at: at); self[at + 2] = UInt8(value >> 8); self[at + 3] = UInt8(value & 0xFF)
    }
    mutating func put(_ bytes: [UInt8], at: Int) {
        for (i, byte) in bytes.enumerated() where at + i < count { self[at + i] = byte }
    }
    mutating func putText(_ text: String, at: Int, length: Int, pad: UInt8 = 0x20) {
        let bytes = Array(text.utf8.prefix(length))
        put(bytes + [UInt8](repeating: pad, count: length - bytes.count), at: at)
    }
}
