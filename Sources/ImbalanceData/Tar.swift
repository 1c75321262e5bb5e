/// One regular file inside a tar archive: where its content sits in the (decompressed)
/// archive bytes. Entries do not copy their content; `TarArchive.content(of:)` slices it.
public struct TarEntry: Equatable, Sendable {
    /// Full path inside the archive, with a leading `./` removed (long names from GNU `L`
    /// entries and pax `path` records already applied).
    public var name: String
    /// Offset of the entry's 512-byte header in the archive bytes.
    public var headerOffset: Int
    /// Offset of the entry's content in the archive bytes.
    public var dataOffset: Int
    /// Content length in bytes.
    public var size: Int

    /// The last path component (`data_batch_1.bin` for `cifar-10-batches-bin/data_batch_1.bin`).
    public var baseName: String {
        guard let slash = name.lastIndex(of: "/") else { return name }
        return String(name[name.index(after: slash)...])
    }
}

/// An in-process reader for tar archives (POSIX ustar, GNU and pax variants), plain or
/// gzip-compressed, enough to read the official CIFAR releases without calling tar(1).
///
/// The archive is read whole and decompressed in memory (the official CIFAR-10 archive is
/// 163 MB, 185 MB unpacked), then its headers are walked once. Validation is strict, in the
/// same spirit as the IDX reader, because a truncated download must never turn into a
/// shorter training set without a word:
/// - every header's checksum is verified (unsigned sum, or the historic signed sum);
/// - numeric fields must be octal (or GNU base-256 for sizes) and sizes must fit in the
///   bytes that remain, so a corrupt size can neither read past the end nor drive an
///   allocation: entries are slices of the archive, never new buffers sized by a header;
/// - the archive must end with the end-of-archive marker (a zero block; tar(1) writes two
///   and accepts one), so an archive cut at an entry boundary is reported as truncated.
///
/// Only regular files (type `0`, NUL, or `7`) become entries. Directories, links and device
/// entries carry no content and are skipped; GNU long names (`L`) and pax extended headers
/// (`x`: `path` and `size`) apply to the entry that follows; global pax headers (`g`), GNU
/// long link names (`K`) and unknown types are skipped over by their size.
public struct TarArchive: Sendable {
    /// The file the archive was read from (named in every error).
    public let path: String
    /// The archive bytes after decompression.
    public let bytes: [UInt8]
    /// True when the file was gzip-compressed (error offsets then count decompressed bytes).
    public let wasCompressed: Bool
    /// The regular files, in archive order. A name that occurs twice keeps both entries, as
    /// in the archive; `entry(named:)` returns the last, as extraction would leave it.
    public let entries: [TarEntry]

    /// Reads and parses the archive at `path`, decompressing it first when it is gzip.
    public static func read(at path: String,
                            maxOutputBytes: Int = Gzip.defaultMaxOutputBytes) throws -> TarArchive {
        let (bytes, compressed) = try Gzip.readFile(at: path, maxOutputBytes: maxOutputBytes)
        return try TarArchive(bytes: bytes, path: path, compressed: compressed)
    }

    /// Parses tar bytes already in memory. `path` names the source in errors; `compressed`
    /// says whether offsets should be reported as offsets into decompressed data.
    public init(bytes: [UInt8], path: String, compressed: Bool = false) throws {
        self.path = path
        self.bytes = bytes
        self.wasCompressed = compressed
        self.entries = try TarParser(bytes: bytes, path: path, compressed: compressed).parse()
    }

    /// The content of `entry` as a slice of `bytes` (no copy).
    public func content(of entry: TarEntry) -> ArraySlice<UInt8> {
        bytes[entry.dataOffset..<(entry.dataOffset + entry.size)]
    }

    /// The last regular file whose full name is `name` (a leading `./` is ignored).
    public func entry(named name: String) -> TarEntry? {
        let wanted = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
        return entries.last { $0.name == wanted }
    }

    /// Regular files whose last path component is `baseName`, one per distinct full name
    /// (the last entry of each), in archive order.
    public func entries(withBaseName baseName: String) -> [TarEntry] {
        var result: [TarEntry] = []
        for e in entries where e.baseName == baseName {
            if let i = result.firstIndex(where: { $0.name == e.name }) {
                result[i] = e
            } else {
                result.append(e)
            }
        }
        return result
    }
}

/// The header walk behind `TarArchive`. Every loop iteration advances by at least one
/// 512-byte block, so the walk ends on any input.
struct TarParser {
    static let block = 512

    /// The archive's length in bytes.
    let total: Int
    /// `count` bytes at `offset` (both within `total`): a slice of the bytes in memory, or a
    /// read from the file for an archive too large to hold (`TarFileIndex`).
    let read: (_ offset: Int, _ count: Int) throws -> [UInt8]
    let path: String
    let compressed: Bool

    init(bytes: [UInt8], path: String, compressed: Bool) {
        self.total = bytes.count
        self.read = { offset, count in Array(bytes[offset..<(offset + count)]) }
        self.path = path
        self.compressed = compressed
    }

    init(total: Int, path: String, read: @escaping (Int, Int) throws -> [UInt8]) {
        self.total = total
        self.read = read
        self.path = path
        self.compressed = false
    }

    func fail(_ field: String?, _ offset: Int?, _ message: String) -> DataError {
        DataError(path: path, field: field, offset: offset,
                  offsetIsInDecompressedData: compressed, message: message)
    }

    func parse() throws -> [TarEntry] {
        var entries: [TarEntry] = []
        try walk { entries.append($0) }
        return entries
    }

    /// Calls `body` with every regular file in archive order; reads only headers (and the
    /// content of long-name and pax entries), never the files' content.
    func walk(_ body: (TarEntry) throws -> Void) throws {
        guard total > 0 else {
            throw fail(nil, nil, compressed
                ? "gzip content is empty; expected a tar archive"
                : "file is empty (0 bytes); expected a tar archive (optionally gzip-compressed)")
        }
        var offset = 0
        var longName: String?          // from a GNU 'L' entry, for the next entry
        var paxPath: String?           // from a pax 'x' header, for the next entry
        var paxSize: Int?
        var headers = 0

        while true {
            if offset == total {
                throw fail("end-of-archive marker", offset, headers == 0
                    ? "no tar header; expected a tar archive"
                    : "truncated tar archive: the data ends after \(headers) header(s) without the end-of-archive marker; expected two 512-byte zero blocks (incomplete download?)")
            }
            guard total - offset >= Self.block else {
                throw fail("header", offset, "truncated tar archive: expected a 512-byte header, found only \(total - offset) byte(s) before the end (incomplete download?)")
            }
            let header = try read(offset, Self.block)
            if header.allSatisfy({ $0 == 0 }) {
                // End of archive. tar(1) writes two zero blocks and pads to a record; one is
                // accepted (as tar(1) does, with a warning), and what follows is not read.
                if longName != nil || paxPath != nil {
                    throw fail("header", offset, "truncated tar archive: a long-name or pax header is followed by the end-of-archive marker; expected the entry it describes")
                }
                return
            }
            headers += 1
            try verifyChecksum(header, at: offset, isFirst: headers == 1)

            let typeflag = header[156]
            let headerName = name(header)
            var size = try headerSize(header, at: offset, name: headerName)
            let isContentType = typeflag == UInt8(ascii: "0") || typeflag == 0 || typeflag == UInt8(ascii: "7")
            if isContentType, let s = paxSize { size = s }
            let dataStart = offset + Self.block
            // Links, devices, directories and FIFOs carry no content whatever their size
            // field says (as Python's tarfile and GNU tar treat them).
            let carriesData: Bool
            switch typeflag {
            case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"),
                 UInt8(ascii: "5"), UInt8(ascii: "6"):
                carriesData = false
            default:
                carriesData = true
            }
            let dataSize = carriesData ? size : 0
            let remaining = total - dataStart
            let displayName = paxPath ?? longName ?? headerName
            guard dataSize <= remaining else {
                throw fail("size of entry '\(displayName)'", offset + 124,
                           "tar entry size past the end: the header says \(dataSize) bytes of content, but only \(remaining) byte(s) follow the header (truncated archive or corrupt size field)")
            }
            let padded = (dataSize + Self.block - 1) / Self.block * Self.block
            guard padded <= remaining else {
                throw fail("padding of entry '\(displayName)'", dataStart + dataSize,
                           "truncated tar archive: the content of '\(displayName)' is followed by only \(remaining - dataSize) of its \(padded - dataSize) padding bytes; expected the archive to continue to a 512-byte boundary")
            }
            let isMeta = typeflag == UInt8(ascii: "L") || typeflag == UInt8(ascii: "x")
            let data = isMeta ? try read(dataStart, dataSize)[...] : []

            switch typeflag {
            case UInt8(ascii: "L"):
                longName = cString(data)
                guard let n = longName, !n.isEmpty else {
                    throw fail("GNU long name", dataStart, "empty GNU long-name entry; expected the name of the next entry")
                }
            case UInt8(ascii: "x"):
                let records = try paxRecords(data, at: dataStart)
                if let p = records["path"] { paxPath = p }
                if let s = records["size"] {
                    guard let value = Int(s), value >= 0 else {
                        throw fail("pax size", dataStart, "expected a non-negative decimal size in the pax header, found '\(s)'")
                    }
                    paxSize = value
                }
            case UInt8(ascii: "g"), UInt8(ascii: "K"):
                break
            default:
                if isContentType {
                    try body(TarEntry(name: stripDotSlash(displayName), headerOffset: offset,
                                      dataOffset: dataStart, size: dataSize))
                }
                longName = nil
                paxPath = nil
                paxSize = nil
            }
            offset = dataStart + padded
        }
    }

    /// The checksum is the sum of the header's bytes with the checksum field read as eight
    /// spaces, stored as octal. Some historic writers summed signed chars; both are accepted.
    private func verifyChecksum(_ header: [UInt8], at offset: Int, isFirst: Bool) throws {
        let field = 148
        let hint = isFirst ? " (not a tar archive, or a corrupt one)" : " (corrupt archive)"
        guard let stored = try? octal(header, at: field, length: 8, field: "checksum", base: offset) else {
            let raw = Array(header[field..<(field + 8)])
            throw fail("checksum", offset + field, "expected an octal checksum, found bytes \(hex(raw))\(hint)")
        }
        var unsigned = 0
        var signed = 0
        for i in 0..<Self.block {
            let b = (i >= field && i < field + 8) ? 0x20 : header[i]
            unsigned += Int(b)
            signed += Int(Int8(bitPattern: b))
        }
        guard stored == unsigned || stored == signed else {
            throw fail("checksum", offset + field, "bad tar header checksum: the header stores \(octalText(stored)), its bytes sum to \(octalText(unsigned))\(hint)")
        }
    }

    /// The entry name: `prefix/name` in ustar headers, `name` otherwise.
    private func name(_ header: [UInt8]) -> String {
        let base = cString(header[0..<100])
        let magic = Array(header[257..<263])
        let isPOSIXUstar = magic == Array("ustar".utf8) + [0]
        if isPOSIXUstar {
            let prefix = cString(header[345..<500])
            if !prefix.isEmpty { return prefix + "/" + base }
        }
        return base
    }

    /// The size field: octal digits, or GNU base-256 (high bit of the first byte set).
    private func headerSize(_ header: [UInt8], at offset: Int, name: String) throws -> Int {
        let field = 124
        let first = header[field]
        if first & 0x80 != 0 {
            guard first == 0x80 else {
                throw fail("size of entry '\(name)'", offset + field, "expected a non-negative size, found a negative base-256 number")
            }
            var value = 0
            for i in (field + 1)..<(field + 12) {
                guard value <= (Int.max >> 8) else {
                    throw fail("size of entry '\(name)'", offset + field, "the base-256 size overflows; expected a size that fits in the archive")
                }
                value = value << 8 | Int(header[i])
            }
            return value
        }
        return try octal(header, at: field, length: 12, field: "size of entry '\(name)'", base: offset) ?? 0
    }

    /// Parses an octal field: optional leading spaces, digits 0-7, then NUL/space padding.
    /// Returns nil for a field of only NULs and spaces.
    private func octal(_ header: [UInt8], at start: Int, length: Int, field: String, base: Int) throws -> Int? {
        var i = start
        let end = start + length
        while i < end && header[i] == 0x20 { i += 1 }
        var value = 0
        var digits = 0
        while i < end, header[i] >= 0x30, header[i] <= 0x37 {
            value = value * 8 + Int(header[i] - 0x30)   // at most 12 digits: no overflow
            digits += 1
            i += 1
        }
        while i < end {
            guard header[i] == 0 || header[i] == 0x20 else {
                let raw = Array(header[start..<end])
                throw fail(field, base + start, "expected an octal number, found bytes \(hex(raw))")
            }
            i += 1
        }
        return digits == 0 ? nil : value
    }

    /// pax extended header records: `LEN key=value\n`, LEN counting the whole record.
    private func paxRecords(_ data: ArraySlice<UInt8>, at start: Int) throws -> [String: String] {
        var result: [String: String] = [:]
        var i = data.startIndex
        while i < data.endIndex {
            if data[i] == 0 { break }   // some writers pad with NULs
            var length = 0
            var j = i
            while j < data.endIndex, data[j] >= 0x30, data[j] <= 0x39, j - i < 12 {
                length = length * 10 + Int(data[j] - 0x30)
                j += 1
            }
            guard j > i, j < data.endIndex, data[j] == 0x20, length > j - i + 1,
                  length <= data.endIndex - i, data[i + length - 1] == 0x0A else {
                throw fail("pax header", start + (i - data.startIndex), "malformed pax record; expected 'LENGTH key=value\\n' with LENGTH counting the whole record")
            }
            let body = data[(j + 1)..<(i + length - 1)]
            guard let eq = body.firstIndex(of: UInt8(ascii: "=")) else {
                throw fail("pax header", start + (i - data.startIndex), "malformed pax record; expected 'key=value' after the length")
            }
            let key = String(decoding: body[body.startIndex..<eq], as: UTF8.self)
            let value = String(decoding: body[(eq + 1)...], as: UTF8.self)
            result[key] = value
            i += length
        }
        return result
    }

    private func cString(_ slice: ArraySlice<UInt8>) -> String {
        String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
    }

    private func stripDotSlash(_ name: String) -> String {
        var n = Substring(name)
        while n.hasPrefix("./") { n = n.dropFirst(2) }
        return String(n)
    }

    private func octalText(_ value: Int) -> String {
        "0o" + String(value, radix: 8)
    }
}
