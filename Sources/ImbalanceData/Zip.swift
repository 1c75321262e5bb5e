/// One member of a zip archive, as its central directory describes it.
public struct ZipMember: Equatable, Sendable {
    public var name: String
    /// 0 (stored) or 8 (deflate).
    public var method: Int
    public var crc32: UInt32
    public var compressedSize: Int
    public var size: Int
    /// Offset of the member's local header in the archive.
    public var headerOffset: Int
    /// Offset of the member's data (after the local header) in the archive.
    public var dataOffset: Int
}

/// A strict reader for zip archives as numpy's `savez` / `savez_compressed` (Python's
/// `zipfile`) write them: members stored or deflated, zip64 sizes and offsets (numpy
/// writes zip64 headers for every member), no encryption, one disk.
///
/// The central directory is read from the end-of-central-directory record (which must end
/// the file, after its comment) and every member is checked against its local header
/// (signature, name, method, and sizes where the local header gives them); members must lie
/// before the central directory without overlapping. `content(of:)` checks the CRC-32 and
/// the exact size. All offsets and sizes are checked against the archive's length before
/// use, so a corrupt header can neither read outside the bytes nor drive an allocation
/// larger than the member's stated size (itself bounded by deflate's ratio).
public struct ZipArchive: Sendable {
    public let path: String
    public let bytes: [UInt8]
    /// The members in central-directory order.
    public let members: [ZipMember]

    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        self.bytes = bytes
        self.members = try ZipParser(bytes: bytes, path: path).parse()
    }

    /// Reads the archive at `path` whole.
    public static func read(at path: String) throws -> ZipArchive {
        try ZipArchive(bytes: FileSystem.readAll(path), path: path)
    }

    public func member(named name: String) -> ZipMember? { members.first { $0.name == name } }

    /// The member's uncompressed content, CRC-checked.
    public func content(of m: ZipMember) throws -> [UInt8] {
        func fail(_ message: String) -> DataError {
            DataError(path: path, field: "member \(m.name)", offset: m.dataOffset, message: message)
        }
        let data: [UInt8] = try bytes.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[m.dataOffset..<(m.dataOffset + m.compressedSize)])
            if m.method == 0 { return Array(slice.bindMemory(to: UInt8.self)) }
            guard m.size <= m.compressedSize * 1032 + 1024 else {
                throw fail("\(m.compressedSize) compressed byte(s) cannot hold the \(m.size) bytes the header states (corrupt header)")
            }
            return try Inflate.exact(slice, expectedSize: m.size, wrapper: .raw) { fail("deflate data: \($0)") }
        }
        let crc = data.withUnsafeBytes { Inflate.crc32($0) }
        guard crc == m.crc32 else {
            throw fail("CRC-32 mismatch: the header says \(hex32(m.crc32)), the content gives \(hex32(crc)) (corrupt file)")
        }
        return data
    }
}

private struct ZipParser {
    let bytes: [UInt8]
    let path: String

    func fail(_ field: String?, _ offset: Int?, _ message: String) -> DataError {
        DataError(path: path, field: field, offset: offset, message: message)
    }

    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) throws -> Int {
        let low = u32(at), high = u32(at + 4)
        guard high < 1 << 31 else { throw fail(nil, at, "64-bit field \(high)... is too large for an offset or size") }
        return low | high << 32
    }

    func parse() throws -> [ZipMember] {
        let n = bytes.count
        guard n > 0 else { throw fail(nil, nil, "file is empty (0 bytes); expected a zip archive (.npz)") }
        guard n >= 22 else { throw fail(nil, 0, "\(n) bytes is too short for a zip archive (the end record alone is 22 bytes)") }
        // The end record: its signature with a comment length that reaches the end exactly.
        var eocd = -1
        var at = n - 22
        let lowest = max(0, n - 22 - 0xFFFF)
        while at >= lowest {
            if u32(at) == 0x0605_4B50 && at + 22 + u16(at + 20) == n { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else {
            if u32(0) == 0x0403_4B50 {
                throw fail("end of central directory", n, "no end-of-central-directory record at the end of the file (truncated zip?)")
            }
            throw fail("signature", 0, "not a zip archive (no end-of-central-directory record; starts with \(hex(Array(bytes.prefix(4)))))")
        }
        let disk = u16(eocd + 4), cdDisk = u16(eocd + 6)
        var count = u16(eocd + 10)
        var cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16)
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF || disk == 0xFFFF {
            let locator = eocd - 20
            guard locator >= 0, u32(locator) == 0x0706_4B50 else {
                throw fail("zip64 locator", max(0, locator), "the end record asks for zip64 but no zip64 locator precedes it")
            }
            let z = try u64(locator + 8)
            guard z >= 0, z <= locator - 56, u32(z) == 0x0606_4B50 else {
                throw fail("zip64 end record", z, "no zip64 end-of-central-directory record at the offset the locator gives")
            }
            guard u32(z + 16) == 0, u32(z + 20) == 0 else {
                throw fail("zip64 end record", z + 16, "multi-disk archives are not supported")
            }
            count = try u64(z + 32)
            cdSize = try u64(z + 40)
            cdOffset = try u64(z + 48)
        } else {
            guard disk == 0, cdDisk == 0 else { throw fail("end of central directory", eocd + 4, "multi-disk archives are not supported") }
        }
        guard cdOffset <= eocd, cdSize <= eocd - cdOffset else {
            throw fail("central directory", eocd + 16, "the central directory (\(cdSize) bytes at \(cdOffset)) lies outside the archive (truncated or corrupt)")
        }
        guard count <= cdSize / 46 else {
            throw fail("central directory", eocd + 10, "\(count) entries cannot fit in a central directory of \(cdSize) bytes")
        }
        var members: [ZipMember] = []
        var names = Set<String>()
        var p = cdOffset
        let cdEnd = cdOffset + cdSize
        for i in 0..<count {
            let field = "central directory entry \(i)"
            guard cdEnd - p >= 46, u32(p) == 0x0201_4B50 else {
                throw fail(field, p, "expected a central directory header (50 4b 01 02)")
            }
            let flags = u16(p + 8), method = u16(p + 10)
            let crc = UInt32(u32(p + 16))
            var csize = u32(p + 20), usize = u32(p + 24)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            var diskStart = u16(p + 34)
            var offset = u32(p + 42)
            let end = p + 46 + nameLength + extraLength + commentLength
            guard end <= cdEnd else { throw fail(field, p, "the entry runs past the end of the central directory") }
            let nameBytes = Array(bytes[(p + 46)..<(p + 46 + nameLength)])
            guard let name = String(validating: nameBytes, as: UTF8.self), !name.isEmpty else {
                throw fail(field, p + 46, "member name is empty or not UTF-8")
            }
            // zip64 extra field: the 64-bit values of the fields set to all ones, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while extraEnd - e >= 4 {
                let id = u16(e), size = u16(e + 2)
                guard size <= extraEnd - e - 4 else { throw fail(field, e, "extra field runs past its entry") }
                if id == 0x0001 {
                    var q = e + 4
                    func next() throws -> Int {
                        guard e + 4 + size - q >= 8 else { throw fail(field, q, "zip64 extra field is too short for the values it must hold") }
                        defer { q += 8 }
                        return try u64(q)
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if csize == 0xFFFF_FFFF { csize = try next() }
                    if offset == 0xFFFF_FFFF { offset = try next() }
                    if diskStart == 0xFFFF { diskStart = 0 }
                }
                e += 4 + size
            }
            let mfield = "member \(name)"
            guard flags & 1 == 0 else { throw fail(mfield, p + 8, "encrypted members are not supported") }
            guard method == 0 || method == 8 else {
                throw fail(mfield, p + 10, "compression method \(method); expected 0 (stored) or 8 (deflate)")
            }
            guard method != 0 || csize == usize else {
                throw fail(mfield, p + 20, "stored member with compressed size \(csize) and size \(usize); they must agree")
            }
            guard diskStart == 0 else { throw fail(mfield, p + 34, "multi-disk archives are not supported") }
            guard names.insert(name).inserted else { throw fail(mfield, p, "a second member named \(name)") }
            // The local header, which must agree with the central directory.
            guard offset <= cdOffset, cdOffset - offset >= 30, u32(offset) == 0x0403_4B50 else {
                throw fail(mfield, offset, "no local header (50 4b 03 04) at the offset the central directory gives")
            }
            let localFlags = u16(offset + 6)
            let localName = u16(offset + 26), localExtra = u16(offset + 28)
            let dataOffset = offset + 30 + localName + localExtra
            guard u16(offset + 8) == method else { throw fail(mfield, offset + 8, "local header's method \(u16(offset + 8)) differs from the central directory's \(method)") }
            guard localFlags & 1 == 0 else { throw fail(mfield, offset + 6, "encrypted members are not supported") }
            guard dataOffset <= cdOffset, Array(bytes[(offset + 30)..<(offset + 30 + localName)]) == nameBytes else {
                throw fail(mfield, offset + 30, "local header's name differs from the central directory's")
            }
            if localFlags & 8 == 0 {
                let lc = u32(offset + 18), lu = u32(offset + 22)
                let lcrc = UInt32(u32(offset + 14))
                guard lcrc == crc, lc == 0xFFFF_FFFF || lc == csize, lu == 0xFFFF_FFFF || lu == usize else {
                    throw fail(mfield, offset + 14, "local header's CRC or sizes differ from the central directory's")
                }
            }
            guard csize <= cdOffset - dataOffset else {
                throw fail(mfield, dataOffset, "member data (\(csize) bytes) runs into the central directory (truncated or corrupt)")
            }
            if let last = members.last, offset < last.dataOffset + last.compressedSize, offset >= last.headerOffset {
                throw fail(mfield, offset, "member overlaps \(last.name)")
            }
            members.append(ZipMember(name: name, method: method, crc32: crc, compressedSize: csize, size: usize,
                                     headerOffset: offset, dataOffset: dataOffset))
            p = end
        }
        guard p == cdEnd else {
            throw fail("central directory", p, "\(cdEnd - p) byte(s) left in the central directory after its \(count) entries")
        }
        let sorted = members.sorted { $0.headerOffset < $1.headerOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.dataOffset + a.compressedSize > b.headerOffset {
            throw fail("member \(b.name)", b.headerOffset, "member overlaps \(a.name)")
        }
        return members
    }
}
