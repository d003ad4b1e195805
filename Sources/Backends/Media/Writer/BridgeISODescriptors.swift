import Foundation

/// The descriptors of `BridgeISOWriter`, one builder per ECMA-119 / ECMA-167 structure.
extension BridgeISOWriter {
    private var utc: DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }

    private func isoDate7() -> [UInt8] {
        let c = utc
        return [UInt8(c.year! - 1900), UInt8(c.month!), UInt8(c.day!), UInt8(c.hour!), UInt8(c.minute!), UInt8(c.second!), 0]
    }

    private func isoDate17() -> [UInt8] {
        let c = utc
        let text = String(format: "%04d%02d%02d%02d%02d%02d00", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        return Array(text.utf8) + [0]
    }

    private func udfTime() -> [UInt8] {
        let c = utc
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes.put16(0x1000, at: 0)
        bytes.put16(UInt16(c.year!), at: 2)
        bytes[4] = UInt8(c.month!); bytes[5] = UInt8(c.day!); bytes[6] = UInt8(c.hour!)
        bytes[7] = UInt8(c.minute!); bytes[8] = UInt8(c.second!)
        return bytes
    }

    private func regid(_ identifier: String, suffix: [UInt8] = []) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.put(Array(identifier.utf8.prefix(23)), at: 1)
        bytes.put(suffix, at: 24)
        return bytes
    }

    private var domain: [UInt8] { regid("*OSTA UDF Compliant", suffix: [0x02, 0x01, 0x03]) }
    private var implementation: [UInt8] { regid("*Vizor sample writer") }

    private func charspec() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.put(Array("OSTA Compressed Unicode".utf8), at: 1)
        return bytes
    }

    private func dstring(_ text: String, length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let body = [8] + Array(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }.prefix(length - 2))
        bytes.put(body, at: 0)
        bytes[length - 1] = UInt8(body.count)
        return bytes
    }

    private func cs0(_ text: String) -> [UInt8] {
        [8] + text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    private func sealed(_ bytes: [UInt8], id: UInt16, location: Int, crcLength: Int? = nil) -> [UInt8] {
        var bytes = bytes
        bytes.put16(id, at: 0)
        bytes.put16(2, at: 2)
        bytes.put32(UInt32(location), at: 12)
        UDFTag.seal(&bytes, crcLength: crcLength ?? (bytes.count - 16))
        return bytes
    }

    // MARK: ISO 9660

    func primaryDescriptor(root: Node, totalSectors: Int, pathTableSize: Int, lPath: Int, mPath: Int) -> [UInt8] {
        var d = [UInt8](repeating: 0, count: Self.block)
        d[0] = 1
        d.put(Array("CD001".utf8), at: 1)
        d[6] = 1
        d.putText("", at: 8, length: 32)
        d.putText(label.uppercased(), at: 40, length: 32)
        d.putBoth32(UInt32(totalSectors), at: 80)
        d.putBoth16(1, at: 120)
        d.putBoth16(1, at: 124)
        d.putBoth16(UInt16(Self.block), at: 128)
        d.putBoth32(UInt32(pathTableSize), at: 132)
        d.put32(UInt32(lPath), at: 140)
        d.put32be(UInt32(mPath), at: 148)
        d.put(record(name: [0], sector: root.isoSector, length: root.isoLength, directory: true), at: 156)
        d.putText(volumeSetID, at: 190, length: 128)
        for field in [318, 446] { d.putText("", at: field, length: 128) }
        d.putText(applicationID, at: 574, length: 128)
        for field in [702, 739, 776] { d.putText("", at: field, length: 37) }
        d.put(isoDate17(), at: 813)
        d.put(isoDate17(), at: 830)
        d.put(Array("0000000000000000".utf8) + [0], at: 847)
        d.put(isoDate17(), at: 864)
        d[881] = 1
        return d
    }

    private func record(name: [UInt8], sector: Int, length: Int, directory: Bool, more: Bool = false) -> [UInt8] {
        let size = 33 + name.count + (name.count % 2 == 0 ? 1 : 0)
        var r = [UInt8](repeating: 0, count: size)
        r[0] = UInt8(size)
        r.putBoth32(UInt32(sector), at: 2)
        r.putBoth32(UInt32(length), at: 10)
        r.put(isoDate7(), at: 18)
        r[25] = (directory ? 0x02 : 0) | (more ? 0x80 : 0)
        r.putBoth16(1, at: 28)
        r[32] = UInt8(name.count)
        r.put(name, at: 33)
        return r
    }

    func isoDirectory(_ node: Node, placeholder: Bool) -> [UInt8] {
        var records = [record(name: [0], sector: node.isoSector, length: node.isoLength, directory: true),
                       record(name: [1], sector: node.parent!.isoSector, length: node.parent!.isoLength, directory: true)]
        for child in node.children {
            if child.isDirectory {
                records.append(record(name: Array(child.name.utf8), sector: child.isoSector, length: child.isoLength,
                                      directory: true))
                continue
            }
            let name = Array((child.name + ";1").utf8)
            var remaining = child.file!.size
            var sector = Self.partitionStart + child.udfDataBlock
            repeat {
                let piece = min(remaining, 0xFFFF_F800)
                remaining -= piece
                records.append(record(name: name, sector: sector, length: Int(piece), directory: false, more: remaining > 0))
                sector += Int(piece / UInt64(Self.block))
            } while remaining > 0
        }
        var data: [UInt8] = []
        for r in records {
            let used = data.count % Self.block
            if used + r.count > Self.block { data += [UInt8](repeating: 0, count: Self.block - used) }
            data += r
        }
        let padded = (data.count + Self.block - 1) / Self.block * Self.block
        return data + [UInt8](repeating: 0, count: padded - data.count)
    }

    func pathTable(_ directories: [Node], bigEndian: Bool) -> [UInt8] {
        var table: [UInt8] = []
        for node in directories {
            let name = node.path.isEmpty ? [UInt8(0)] : Array(node.name.utf8)
            var r = [UInt8](repeating: 0, count: 8 + name.count + name.count % 2)
            r[0] = UInt8(name.count)
            if bigEndian {
                r.put32be(UInt32(node.isoSector), at: 2)
                r[6] = UInt8(node.parent!.number >> 8); r[7] = UInt8(node.parent!.number & 0xFF)
            } else {
                r.put32(UInt32(node.isoSector), at: 2)
                r.put16(UInt16(node.parent!.number), at: 6)
            }
            r.put(name, at: 8)
            table += r
        }
        return table
    }

    func bootCatalog(_ all: [Node]) -> [UInt8] {
        func find(_ path: String?) -> Node? { path.flatMap { p in all.first { $0.path == p } } }
        var catalog = [UInt8](repeating: 0, count: Self.block)
        let bios = find(boot.biosImage)
        let efi = find(boot.efiImage)
        catalog[0] = 1
        catalog[1] = bios == nil ? 0xEF : 0
        catalog.put(Array("VIZOR".utf8), at: 4)
        catalog[30] = 0x55; catalog[31] = 0xAA
        var sum: UInt16 = 0
        for i in stride(from: 0, to: 32, by: 2) { sum &+= catalog.u16(i) }
        catalog.put16(0 &- sum, at: 28)
        func entry(_ node: Node, at offset: Int) {
            catalog[offset] = 0x88
            let sectors = max(1, min(0xFFFF, (node.file!.size + 511) / 512))
            let biosSectors = boot.biosLoadSectors ?? UInt16(min(sectors, 8))
            catalog.put16(node === bios ? biosSectors : UInt16(sectors), at: offset + 6)
            catalog.put32(UInt32(Self.partitionStart + node.udfDataBlock), at: offset + 8)
        }
        if let first = bios ?? efi { entry(first, at: 32) }
        if let bios, let efi, bios !== efi {
            catalog[64] = 0x91
            catalog[65] = 0xEF
            catalog.put16(1, at: 66)
            entry(efi, at: 96)
        }
        return catalog
    }

    // MARK: UDF

    func udfDirectory(_ node: Node, placeholder: Bool) -> [UInt8] {
        var data: [UInt8] = []
        func fid(name: [UInt8], characteristics: UInt8, target: Node) {
            let length = (38 + name.count + 3) & ~3
            var f = [UInt8](repeating: 0, count: length)
            f.put16(1, at: 16)
            f[18] = characteristics
            f[19] = UInt8(name.count)
            f.put32(UInt32(Self.block), at: 20)
            f.put32(UInt32(target.udfEntry), at: 24)
            f.put(name, at: 38)
            data += sealed(f, id: 257, location: node.udfDataBlock + data.count / Self.block)
        }
        fid(name: [], characteristics: 0x0A, target: node.parent!)
        for child in node.children {
            fid(name: cs0(child.name), characteristics: child.isDirectory ? 0x02 : 0, target: child)
        }
        return data
    }

    func fileEntry(_ node: Node) -> [UInt8] {
        var ads: [UInt8] = []
        let size: UInt64 = node.isDirectory ? UInt64(node.udfDataLength) : node.file!.size
        var remaining = size
        var block = node.udfDataBlock
        while remaining > 0 {
            let piece = min(remaining, Self.maxExtent)
            var ad = [UInt8](repeating: 0, count: 8)
            ad.put32(UInt32(piece), at: 0)
            ad.put32(UInt32(block), at: 4)
            ads += ad
            remaining -= piece
            block += Int(piece / UInt64(Self.block))
        }
        var fe = [UInt8](repeating: 0, count: 176 + ads.count)
        fe.put16(4, at: 20)
        fe.put16(1, at: 24)
        fe[27] = node.isDirectory ? 4 : 5
        fe.put32(0xFFFF_FFFF, at: 36)
        fe.put32(0xFFFF_FFFF, at: 40)
        fe.put32(0x14A5, at: 44)
        fe.put16(UInt16(node.isDirectory ? 1 + node.children.filter(\.isDirectory).count : 1), at: 48)
        fe.put64(size, at: 56)
        fe.put64((size + UInt64(Self.block) - 1) / UInt64(Self.block), at: 64)
        for field in [72, 84, 96] { fe.put(udfTime(), at: field) }
        fe.put32(1, at: 108)
        fe.put(implementation, at: 128)
        fe.put64(node.path.isEmpty ? 0 : UInt64(16 + node.udfEntry), at: 160)
        fe.put32(UInt32(ads.count), at: 172)
        fe.put(ads, at: 176)
        var blockBytes = sealed(fe, id: 261, location: node.udfEntry)
        blockBytes += [UInt8](repeating: 0, count: Self.block - blockBytes.count)
        return blockBytes
    }

    func volumeSequence(partitionLength: Int, lvidSector: Int) -> [(Int) -> [UInt8]] {
        let pvd: (Int) -> [UInt8] = { location in
            var d = [UInt8](repeating: 0, count: 512)
            d.put32(1, at: 16)
            d.put(self.dstring(self.label, length: 32), at: 24)
            d.put16(1, at: 56); d.put16(1, at: 58); d.put16(2, at: 60); d.put16(2, at: 62)
            d.put32(1, at: 64); d.put32(1, at: 68)
            d.put(self.dstring("VIZOR" + String(format: "%011X", Int(self.date.timeIntervalSince1970)), length: 128), at: 72)
            d.put(self.charspec(), at: 200); d.put(self.charspec(), at: 264)
            d.put(self.udfTime(), at: 376)
            d.put(self.implementation, at: 388)
            return self.sealed(d, id: 1, location: location)
        }
        let iuvd: (Int) -> [UInt8] = { location in
            var d = [UInt8](repeating: 0, count: 512)
            d.put32(2, at: 16)
            d.put(self.regid("*UDF LV Info", suffix: [0x02, 0x01]), at: 20)
            d.put(self.charspec(), at: 52)
            d.put(self.dstring(self.label, length: 128), at: 116)
            d.put(self.implementation, at: 352)
            return self.sealed(d, id: 4, location: location)
        }
        let pd: (Int) -> [UInt8] = { location in
            var d = [UInt8](repeating: 0, count: 512)
            d.put32(3, at: 16)
            d.put16(1, at: 20)
            d.put16(0, at: 22)
            d.put(self.regid("+NSR02"), at: 24)
            d.put32(1, at: 184)
            d.put32(UInt32(Self.partitionStart), at: 188)
            d.put32(UInt32(partitionLength), at: 192)
            d.put(self.implementation, at: 196)
            return self.sealed(d, id: 5, location: location)
        }
        let lvd: (Int) -> [UInt8] = { location in
            var d = [UInt8](repeating: 0, count: 446)
            d.put32(4, at: 16)
            d.put(self.charspec(), at: 20)
            d.put(self.dstring(self.label, length: 128), at: 84)
            d.put32(UInt32(Self.block), at: 212)
            d.put(self.domain, at: 216)
            d.put32(UInt32(Self.block), at: 248)
            d.put32(0, at: 252)
            d.put16(0, at: 256)
            d.put32(6, at: 264)
            d.put32(1, at: 268)
            d.put(self.implementation, at: 272)
            d.put32(UInt32(2 * Self.block), at: 432)
            d.put32(UInt32(lvidSector), at: 436)
            d[440] = 1; d[441] = 6
            d.put16(1, at: 442)
            d.put16(0, at: 444)
            return self.sealed(d, id: 6, location: location)
        }
        let usd: (Int) -> [UInt8] = { location in
            var d = [UInt8](repeating: 0, count: 24)
            d.put32(5, at: 16)
            return self.sealed(d, id: 7, location: location)
        }
        let td: (Int) -> [UInt8] = { self.terminating(location: $0) }
        return [pvd, iuvd, pd, lvd, usd, td]
    }

    func terminating(location: Int) -> [UInt8] {
        sealed([UInt8](repeating: 0, count: 512), id: 8, location: location)
    }

    func integrityDescriptor(files: Int, directories: Int, partitionLength: Int) -> [UInt8] {
        var d = [UInt8](repeating: 0, count: 134)
        d.put(udfTime(), at: 16)
        d.put32(1, at: 28)
        d.put64(UInt64(16 + files + directories + 16), at: 40)
        d.put32(1, at: 72)
        d.put32(46, at: 76)
        d.put32(0, at: 80)
        d.put32(UInt32(partitionLength), at: 84)
        d.put(implementation, at: 88)
        d.put32(UInt32(files), at: 120)
        d.put32(UInt32(directories), at: 124)
        d.put16(0x0102, at: 128); d.put16(0x0102, at: 130); d.put16(0x0102, at: 132)
        return sealed(d, id: 9, location: 64)
    }

    func anchor(location: Int) -> [UInt8] {
        var d = [UInt8](repeating: 0, count: 512)
        d.put32(UInt32(16 * Self.block), at: 16)
        d.put32(32, at: 20)
        d.put32(UInt32(16 * Self.block), at: 24)
        d.put32(48, at: 28)
        return sealed(d, id: 2, location: location)
    }

    func fileSetDescriptor(root: Node) -> [UInt8] {
        var d = [UInt8](repeating: 0, count: 512)
        d.put(udfTime(), at: 16)
        d.put16(3, at: 28); d.put16(3, at: 30)
        d.put32(1, at: 32); d.put32(1, at: 36)
        d.put(charspec(), at: 48)
        d.put(dstring(label, length: 128), at: 112)
        d.put(charspec(), at: 240)
        d.put(dstring(label, length: 32), at: 304)
        d.put32(UInt32(Self.block), at: 400)
        d.put32(UInt32(root.udfEntry), at: 404)
        d.put(domain, at: 416)
        return sealed(d, id: 256, location: 0)
    }
}
