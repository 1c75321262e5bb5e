#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension NPYArray {
    /// A uint8 array (`|u1`), C order.
    public init(uint8 values: [UInt8], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values for shape \(shape)")
        self.init(descr: "|u1", shape: shape, itemSize: 1, data: values)
    }

    /// An int64 array (`<i8`), one dimension unless `shape` says otherwise.
    public init(int64 values: [Int], shape: [Int]? = nil) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values for shape \(shape)")
        self.init(descr: "<i8", shape: shape, itemSize: 8, data: bytes)
    }
}

/// Writes numpy `.npz` archives of named arrays (`KEY.npy` members, stored uncompressed as
/// `numpy.savez` writes them) that `numpy.load(path)` reads, for `imbench resample`.
/// The same arrays always give the same bytes (fixed timestamps).
public enum NPZWriter {
    /// Writes `arrays` (names without ".npy") to `path`, atomically: a temporary file in
    /// the same directory, flushed, then renamed over the target, so a reader never sees a
    /// partial archive and a failed write leaves any earlier file in place.
    ///
    /// - Throws: `DataError` naming `path` for an empty or repeated name, an archive of 4 GiB
    ///   or more (the central directory here has 32-bit sizes), or a failed write.
    public static func write(_ arrays: [(name: String, array: NPYArray)], to path: String) throws {
        var names = Set<String>()
        for (name, _) in arrays {
            guard !name.isEmpty, names.insert(name).inserted else {
                throw DataError(path: path, message: "array name '\(name)' is empty or repeated")
            }
        }
        let members = arrays.map { (name: $0.name + ".npy", data: NPYFile.encode($0.array)) }
        let total = members.map { $0.data.count + 100 + 2 * $0.name.utf8.count }.reduce(22, +)
        guard total < Int(UInt32.max) else {
            throw DataError(path: path, message: "the archive would be \(total) bytes; this writer's limit is 4 GiB (zip without 64-bit central directory sizes)")
        }
        let archive = ZipWriter.archive(members, compressed: false)
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = "\(dir)/.\(base).\(getpid()).tmp"
        do { try FileSystem.write(archive, to: tmp) } catch let e as DataError {
            unlink(tmp)
            throw DataError(path: path, message: "cannot write (through \(tmp)): \(e.message)")
        }
        let fd = open(tmp, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
        guard rename(tmp, path) == 0 else {
            let code = errno
            unlink(tmp)
            throw DataError(path: path, message: "cannot write: \(FileSystem.errnoText(code))")
        }
    }
}
