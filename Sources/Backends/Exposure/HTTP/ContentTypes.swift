/// Content-Type by extension for what install media hold; boot loaders and
/// installers ignore it, but browsers and curl users get a sensible answer.
enum ContentTypes {
    static func forName(_ name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        switch name[name.index(after: dot)...].lowercased() {
        case "txt", "ini", "inf", "log", "cfg", "conf": return "text/plain; charset=utf-8"
        case "xml": return "application/xml"
        case "htm", "html": return "text/html; charset=utf-8"
        case "json": return "application/json"
        case "iso": return "application/x-iso9660-image"
        case "efi", "exe", "dll", "sys", "com", "mui": return "application/vnd.microsoft.portable-executable"
        case "cab": return "application/vnd.ms-cab-compressed"
        case "gz": return "application/gzip"
        case "xz": return "application/x-xz"
        case "rpm": return "application/x-rpm"
        case "deb", "udeb": return "application/vnd.debian.binary-package"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "ttf": return "font/ttf"
        default: return "application/octet-stream"
        }
    }
}
