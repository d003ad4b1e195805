import CFuse
import Foundation

/// libfuse's high-level operations, as C function pointers that find the
/// volume through the FUSE context's private data. Read-only: any open for
/// writing fails with EROFS, and the mount itself is `ro`.
enum FuseCallbacks {
    static func volume() -> FuseVolume? {
        guard let raw = vizor_fuse_private_data() else { return nil }
        return Unmanaged<FuseVolume>.fromOpaque(raw).takeUnretainedValue()
    }

    static func fill(_ stbuf: UnsafeMutablePointer<stat>, node: FuseVolume.Node, volume: FuseVolume) {
        memset(stbuf, 0, MemoryLayout<stat>.size)
        if node.isDirectory {
            stbuf.pointee.st_mode = S_IFDIR | 0o555
            stbuf.pointee.st_nlink = 2 + UInt(node.children.count)
        } else {
            stbuf.pointee.st_mode = S_IFREG | 0o444
            stbuf.pointee.st_nlink = 1
            stbuf.pointee.st_size = off_t(node.size)
            stbuf.pointee.st_blocks = blkcnt_t((node.size + 511) / 512)
        }
        stbuf.pointee.st_blksize = 65536
        let seconds = node.modified.timeIntervalSince1970
        var spec = timespec()
        spec.tv_sec = Int(seconds.rounded(.down))
        spec.tv_nsec = Int((seconds - seconds.rounded(.down)) * 1e9)
        stbuf.pointee.st_mtim = spec
        stbuf.pointee.st_ctim = spec
        stbuf.pointee.st_atim = spec
    }

    static func operations() -> fuse_operations {
        var ops = fuse_operations()
        ops.getattr = { path, stbuf, _ in
            guard let path, let stbuf, let volume = FuseCallbacks.volume() else { return -EIO }
            guard let index = volume.node(at: String(cString: path)) else { return -ENOENT }
            FuseCallbacks.fill(stbuf, node: volume.nodes[index], volume: volume)
            return 0
        }
        ops.readdir = { path, buffer, filler, _, _, _ in
            guard let path, let filler, let volume = FuseCallbacks.volume() else { return -EIO }
            let directory = String(cString: path)
            guard let index = volume.node(at: directory) else { return -ENOENT }
            let node = volume.nodes[index]
            guard node.isDirectory else { return -ENOTDIR }
            _ = filler(buffer, ".", nil, 0, fuse_fill_dir_flags(rawValue: 0))
            _ = filler(buffer, "..", nil, 0, fuse_fill_dir_flags(rawValue: 0))
            let prefix = directory == "/" ? "/" : directory + "/"
            for name in node.children {
                var info = stat()
                if let child = volume.node(at: prefix + name) {
                    FuseCallbacks.fill(&info, node: volume.nodes[child], volume: volume)
                }
                if filler(buffer, name, &info, 0, fuse_fill_dir_flags(rawValue: 0)) != 0 { break }
            }
            return 0
        }
        ops.open = { path, info in
            guard let path, let volume = FuseCallbacks.volume() else { return -EIO }
            guard let index = volume.node(at: String(cString: path)) else { return -ENOENT }
            if volume.nodes[index].isDirectory { return -EISDIR }
            if vizor_open_flags(info) & O_ACCMODE != O_RDONLY { return -EROFS }
            info?.pointee.fh = UInt64(index)
            vizor_set_keep_cache(info)
            return 0
        }
        ops.read = { path, buffer, size, offset, info in
            guard let buffer, let volume = FuseCallbacks.volume() else { return -EIO }
            let index: Int
            if let info, info.pointee.fh < UInt64(volume.nodes.count) {
                index = Int(info.pointee.fh)
            } else if let path, let found = volume.node(at: String(cString: path)) {
                index = found
            } else {
                return -ENOENT
            }
            guard let entry = volume.nodes[index].entry, !entry.isDirectory, offset >= 0 else { return -EISDIR }
            do {
                let count = try volume.image.read(entry, offset: UInt64(offset), count: min(size, Int(Int32.max)),
                                                  into: UnsafeMutableRawPointer(buffer))
                return Int32(count)
            } catch {
                return -EIO
            }
        }
        ops.opendir = { path, _ in
            guard let path, let volume = FuseCallbacks.volume() else { return -EIO }
            guard let index = volume.node(at: String(cString: path)) else { return -ENOENT }
            return volume.nodes[index].isDirectory ? 0 : -ENOTDIR
        }
        ops.access = { path, mask in
            guard let path, let volume = FuseCallbacks.volume() else { return -EIO }
            guard volume.node(at: String(cString: path)) != nil else { return -ENOENT }
            return mask & W_OK != 0 ? -EROFS : 0
        }
        ops.statfs = { _, info in
            guard let info, let volume = FuseCallbacks.volume() else { return -EIO }
            memset(info, 0, MemoryLayout<statvfs>.size)
            info.pointee.f_bsize = 2048
            info.pointee.f_frsize = 2048
            info.pointee.f_blocks = fsblkcnt_t((volume.image.imageSize + 2047) / 2048)
            info.pointee.f_files = fsfilcnt_t(volume.nodes.count)
            info.pointee.f_namemax = 255
            info.pointee.f_flag = UInt(ST_RDONLY)
            return 0
        }
        return ops
    }
}
