#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One array of an .npy / .npz file: NumPy's dtype string, the shape (C order) and the raw
/// little-endian bytes.
public struct NPYArray: Equatable, Sendable {
    /// The dtypes this suite writes: `|u1` (uint8 pixels), `<i8` (int64 labels, indices,
    /// counts), `<f8` (float64).
    public enum DType: String, Sendable {
        case uint8 = "|u1"
        case int64 = "<i8"
        case float64 = "<f8"
        var size: Int { self == .uint8 ? 1 : 8 }
    }

    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) * dtype.size == bytes.count,
                     "\(bytes.count) bytes for shape \(shape) of \(dtype.rawValue)")
        self.dtype = dtype; self.shape = shape; self.bytes = bytes
    }

    public init(uint8 values: [UInt8], shape: [Int]) {
        self.init(dtype: .uint8, shape: shape, bytes: values)
    }

    public init(int64 values: [Int], shape: [Int]? = nil) {
        var b = [UInt8](); b.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { b += $0 } }
        self.init(dtype: .int64, shape: shape ?? [values.count], bytes: b)
    }

    public init(float64 values: [Double], shape: [Int]? = nil) {
        var b = [UInt8](); b.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } }
        self.init(dtype: .float64, shape: shape ?? [values.count], bytes: b)
    }

    /// The values of an int64 array.
    public var int64Values: [Int] {
        precondition(dtype == .int64)
        return stride(from: 0, to: bytes.count, by: 8).map { o in
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[o + i]) << (8 * UInt64(i)) }
            return Int(Int64(bitPattern: v))
        }
    }

    /// The .npy file (format version 1.0): magic, header length, a Python dict literal
    /// padded with spaces to a multiple of 64 bytes and ended by a newline, then the data.
    public var npyFile: [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        let fixed = 10   // magic (6), version (2), header length (2)
        let total = (fixed + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - fixed - header.utf8.count - 1) + "\n"
        let length = UInt16(header.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
            + Array(header.utf8) + bytes
    }
}

/// NumPy's .npz: a zip archive of NAME.npy members, written uncompressed ("stored", as
/// `numpy.savez`) so that `numpy.load(path)` reads it with no extra dependency. Timestamps
/// are fixed (1980-01-01), so the same arrays always give the same bytes.
public enum NPZ {
    /// Writes `arrays` (names without ".npy") to `path`, atomically: a temporary file in the
    /// same directory, flushed, then renamed over the target.
    ///
    /// - Throws: `DataError` naming `path` when a name repeats or is empty, the archive
    ///   would exceed 4 GiB or 65,535 members (the limits of zip without the ZIP64
    ///   extension, which this writer does not implement), or the file cannot be written.
    public static func write(_ arrays: [(name: String, array: NPYArray)], to path: String) throws {
        let archive = try encode(arrays, path: path)
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let tmp = "\(dir)/.\(base).\(getpid()).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(path: path, message: "cannot create \(tmp): \(FileSystem.errnoText(errno))")
        }
        var failure: Int32 = 0
        archive.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { failure = errno; break }
                offset += n
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(tmp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(tmp)
            throw DataError(path: path, message: "cannot write: \(FileSystem.errnoText(failure))")
        }
    }

    static func encode(_ arrays: [(name: String, array: NPYArray)], path: String) throws -> [UInt8] {
        var names = Set<String>()
        for (name, _) in arrays {
            guard !name.isEmpty, names.insert(name).inserted else {
                throw DataError(path: path, message: "array name '\(name)' is empty or repeated")
            }
        }
        guard arrays.count < 0xFFFF else {
            throw DataError(path: path, message: "\(arrays.count) arrays; zip without ZIP64 holds at most 65,534")
        }
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int, _ into: inout [UInt8]) { into += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: Int, _ into: inout [UInt8]) { for i in 0..<4 { into.append(UInt8((v >> (8 * i)) & 0xFF)) } }
        let limit = Int(UInt32.max)
        for (name, array) in arrays {
            let file = array.npyFile
            let member = Array((name + ".npy").utf8)
            let offset = out.count
            guard offset + 30 + member.count + file.count < limit else {
                throw DataError(path: path, message: "the archive would exceed 4 GiB, the limit of zip without ZIP64")
            }
            let crc = Int(Gzip.crc32(file))
            // Local file header: version 2.0, no flags, stored, time 00:00, date 1980-01-01.
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0x21, &out)
            u32(crc, &out); u32(file.count, &out); u32(file.count, &out); u16(member.count, &out); u16(0, &out)
            out += member
            out += file
            // Its central directory entry.
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0x21, &central); u32(crc, &central); u32(file.count, &central)
            u32(file.count, &central); u16(member.count, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(0, &central); u32(offset, &central)
            central += member
        }
        let centralOffset = out.count
        guard centralOffset + central.count + 22 < limit else {
            throw DataError(path: path, message: "the archive would exceed 4 GiB, the limit of zip without ZIP64")
        }
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(arrays.count, &out); u16(arrays.count, &out)
        u32(central.count, &out); u32(centralOffset, &out); u16(0, &out)
        return out
    }

    /// Reads an .npz written by `write` (stored members only; every header checked), for
    /// tests and for Swift users of the files.
    ///
    /// - Throws: `DataError` naming `path` and the member for anything this writer would not
    ///   have produced (compressed members, a bad CRC, a malformed .npy header).
    public static func read(_ path: String) throws -> [String: NPYArray] {
        let b = try FileSystem.readAll(path)
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func fail(_ message: String, _ offset: Int? = nil) -> DataError { DataError(path: path, offset: offset, message: message) }
        var arrays: [String: NPYArray] = [:]
        var o = 0
        while o + 4 <= b.count && u32(o) == 0x0403_4B50 {
            guard o + 30 <= b.count else { throw fail("truncated local header", o) }
            guard u16(o + 8) == 0 else { throw fail("compressed member (method \(u16(o + 8))); only stored members are read", o) }
            let crc = u32(o + 14), size = u32(o + 18), nameLength = u16(o + 26), extra = u16(o + 28)
            let start = o + 30 + nameLength + extra
            guard start + size <= b.count else { throw fail("truncated member", o) }
            let name = String(decoding: b[(o + 30)..<(o + 30 + nameLength)], as: UTF8.self)
            let file = Array(b[start..<(start + size)])
            guard Int(Gzip.crc32(file)) == crc else { throw fail("CRC mismatch in member \(name)", o) }
            arrays[name.hasSuffix(".npy") ? String(name.dropLast(4)) : name] = try parseNPY(file, member: name, path: path)
            o = start + size
        }
        guard o + 4 <= b.count, u32(o) == 0x0201_4B50 || u32(o) == 0x0605_4B50 else {
            throw fail("expected a zip header", o)
        }
        return arrays
    }

    static func parseNPY(_ f: [UInt8], member: String, path: String) throws -> NPYArray {
        func fail(_ m: String) -> DataError { DataError(path: path, field: member, message: m) }
        guard f.count >= 10, f[0] == 0x93, Array(f[1..<6]) == Array("NUMPY".utf8), f[6] == 1 else {
            throw fail("not an .npy file of format version 1")
        }
        let length = Int(f[8]) | Int(f[9]) << 8
        guard 10 + length <= f.count else { throw fail("truncated header") }
        let header = String(decoding: f[10..<(10 + length)], as: UTF8.self)
        let marker = "'shape': ("
        guard let dtype = [NPYArray.DType.uint8, .int64, .float64].first(where: { header.contains("'descr': '\($0.rawValue)'") }),
              header.contains("'fortran_order': False"),
              let open = header.indices.first(where: { header[$0...].hasPrefix(marker) }),
              let close = header[open...].firstIndex(of: ")") else {
            throw fail("unsupported header \(header)")
        }
        let start = header.index(open, offsetBy: marker.count)
        let shape = header[start..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: " "))
        }
        let data = Array(f[(10 + length)...])
        guard shape.reduce(1, *) * dtype.size == data.count else {
            throw fail("\(data.count) data bytes for shape \(shape)")
        }
        return NPYArray(dtype: dtype, shape: shape, bytes: data)
    }
}

/// write(2), named apart from `NPZ.write`.
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
#if canImport(Glibc)
    Glibc.write(fd, p, n)
#elseif canImport(Musl)
    Musl.write(fd, p, n)
#else
    Darwin.write(fd, p, n)
#endif
}

private extension Substring {
    func trimmingCharacters(in character: Character) -> Substring {
        var s = self
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return s
    }
}
