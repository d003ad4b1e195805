import Foundation

/// libFuzzer entry: every parser of untrusted media bytes runs on each input.
/// A crash, a sanitizer report or a hang is a failure; thrown errors are fine.
@_cdecl("LLVMFuzzerTestOneInput")
public func mediaFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let source = MemoryByteSource(bytes)
    let url = URL(fileURLWithPath: "/fuzz/input.iso")
    _ = try? WIMReader.read(source)
    _ = try? ElTorito.parse(Array(bytes.prefix(2048)))
    _ = try? UDFFileSystem.parseIdentifiers(Array(bytes.prefix(65536)), directory: "fuzz")
    if bytes.first == UInt8(ascii: "<") || bytes.starts(with: [0xFF, 0xFE]) {
        let text = bytes.starts(with: [0xFF, 0xFE]) ? WIMReader.decodeUTF16LE(bytes) : String(decoding: bytes, as: UTF8.self)
        _ = try? MiniXML.parse(text)
    }
    var image = MediaImage(id: "fuzz", path: url.path, size: source.size, modified: Date(), inode: 0)
    try? MediaAnalyzer().analyze(source: source, url: url, into: &image)
    if let tree = try? openMediaTree(source: source, url: url) {
        _ = try? tree.walk(limit: 2000)
    }
    return 0
}
