/// SHA-1, which the WIM blob table uses to name resources. Only the sample
/// writer needs it (no security property is relied on).
struct SHA1 {
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = b << 30 | b >> 2; b = a; a = temp
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
        return h.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32($0))) } }
    }
}

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
