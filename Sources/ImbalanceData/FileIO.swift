#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path names on disk. File checks go through POSIX `stat` rather than Foundation so
/// the data module stays free of Foundation and the error text can say exactly what was
/// found where a file was expected.
enum FileKind: Equatable {
    case missing
    case regularFile
    case directory
    case other
}

enum FileSystem {
    /// The kind of `path`, following symbolic links (a link to a data file is a data file).
    static func kind(of path: String) -> FileKind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    static func errnoText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// The whole content of a regular file.
    ///
    /// The initial buffer comes from the size `fstat` reports (a real size, not a header
    /// field), and reading continues to end-of-file so a file that changes size while being
    /// read is still read whole rather than silently cut.
    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            let what = code == ENOENT ? "no such file" : "cannot open: \(errnoText(code))"
            throw DataError(path: path, message: what)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw DataError(path: path, message: "cannot stat: \(errnoText(errno))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            throw DataError(path: path, message: "is a directory; expected a data file")
        case S_IFREG:
            break
        default:
            throw DataError(path: path, message: "is not a regular file; expected a data file")
        }
        var bytes = [UInt8](repeating: 0, count: max(Int(st.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 1 << 16)))
            }
            let n = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return read(fd, base + filled, raw.count - filled)
            }
            if n > 0 {
                filled += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw DataError(path: path, offset: filled,
                                message: "read failed: \(errnoText(errno))")
            }
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// The current working directory, used to turn relative data paths into absolute ones
    /// for run records.
    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let ok = buffer.withUnsafeMutableBufferPointer { buf -> Bool in
            guard let base = buf.baseAddress else { return false }
            return getcwd(base, buf.count) != nil
        }
        guard ok else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                      as: UTF8.self)
    }

    /// The value of an environment variable, or nil when unset.
    static func environmentValue(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

extension FileSystem {
    /// The names in directory `path` (without `.` and `..`), sorted bytewise.
    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw DataError(path: path, message: "cannot list the directory: \(errnoText(errno))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted(by: utf8Less)
    }
}

extension FileSystem {
    /// Creates `path` and its missing parents (mode 0755).
    static func makeDirectories(_ path: String) throws {
        if kind(of: path) == .directory { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw DataError(path: path, message: "cannot create the directory: \(errnoText(errno))")
        }
    }

    /// Writes `bytes` to `path` (created or truncated), all of it or an error.
    static func write(_ bytes: [UInt8], to path: String) throws {
        try writeFile(bytes, to: path)
    }

    private static func writeFile(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(path: path, message: "cannot create: \(errnoText(errno))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                #if canImport(Glibc)
                return Glibc.write(fd, base + done, raw.count - done)
                #else
                return Darwin.write(fd, base + done, raw.count - done)
                #endif
            }
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw DataError(path: path, offset: done, message: "write failed: \(errnoText(errno))")
        }
    }
}

extension FileSystem {
    /// `readAll`, reporting the file to a running digest recording (`DataDigests`), for
    /// readers of files that are not gzip-wrapped (images, lists, NPZ archives).
    static func readNoted(_ path: String) throws -> [UInt8] {
        let bytes = try readAll(path)
        DataDigests.note(path: path, content: bytes, compressed: false)
        return bytes
    }
}
