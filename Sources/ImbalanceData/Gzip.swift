import CZlib

/// Whole-buffer gzip decompression through the system zlib.
///
/// Dataset files are read whole (MNIST's largest file is 47 MB decompressed), so a
/// one-shot API over byte arrays is all the suite needs; streaming would only add states to
/// get wrong. Files are recognised as gzip by content (magic bytes `1f 8b`), not by name,
/// so a raw IDX file that happens to be called `.gz`, or a gzip file without the suffix,
/// still reads correctly.
public enum Gzip {
    /// Upper bound on decompressed output unless a caller passes another. Far above any
    /// dataset file the suite reads (MNIST/Fashion-MNIST images: 47 MB), low enough that a
    /// corrupt or malicious file cannot make the process allocate without limit.
    public static let defaultMaxOutputBytes = 1 << 31

    /// True when `bytes` starts with the gzip magic `1f 8b`.
    public static func hasGzipMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses `bytes` when they carry the gzip magic, otherwise returns them as they
    /// are. `path` is only used to name the file in errors.
    public static func decompressIfNeeded(
        _ bytes: [UInt8], path: String, maxOutputBytes: Int = defaultMaxOutputBytes
    ) throws -> (bytes: [UInt8], wasCompressed: Bool) {
        guard hasGzipMagic(bytes) else { return (bytes, false) }
        return (try decompress(bytes, path: path, maxOutputBytes: maxOutputBytes), true)
    }

    /// Reads a whole file and decompresses it if it is gzip. The content is noted for the
    /// run record's data digests (`DataDigests`) when a load is being recorded.
    public static func readFile(
        at path: String, maxOutputBytes: Int = defaultMaxOutputBytes
    ) throws -> (bytes: [UInt8], wasCompressed: Bool) {
        let result = try decompressIfNeeded(FileSystem.readAll(path), path: path,
                                            maxOutputBytes: maxOutputBytes)
        DataDigests.note(path: path, content: result.bytes, compressed: result.wasCompressed)
        return result
    }

    /// Decompresses a gzip (or zlib) stream of one or more members.
    ///
    /// Multi-member files (concatenated gzip files, as `cat a.gz b.gz` or `pigz` produce)
    /// decompress to the concatenation of their members, as gzip(1) does. Bytes after the
    /// last member must be zero padding (which gzip(1) also tolerates); anything else is
    /// reported rather than ignored, since it means the file is not what it claims.
    ///
    /// Output grows geometrically from an initial size that uses the trailer's ISIZE field
    /// only as a hint, clamped to 8x the input and to `maxOutputBytes`, so a corrupt header
    /// cannot drive a huge allocation; total output beyond `maxOutputBytes` is an error.
    public static func decompress(
        _ input: [UInt8], path: String, maxOutputBytes: Int = defaultMaxOutputBytes
    ) throws -> [UInt8] {
        let limit = max(maxOutputBytes, 1)
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        // zlib keeps a back pointer to the z_stream, so it must stay at one address: a heap
        // allocation rather than an `inout` local, which Swift may move.
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        let initRC = inflateInit2_(stream, 15 + 32, zlibVersion(),
                                   Int32(MemoryLayout<z_stream>.size))
        guard initRC == Z_OK else {
            throw DataError(path: path, message: "cannot initialise zlib (inflateInit2 returned \(initRC))")
        }
        defer { inflateEnd(stream) }

        var sizeHint = 1 << 16
        if input.count >= 4 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8
                | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            sizeHint = max(isize, sizeHint)
        }
        let (cap8, overflow) = input.count.multipliedReportingOverflow(by: 8)
        let initial = min(sizeHint, overflow ? limit : max(cap8, 1 << 16), limit)
        var output = [UInt8](repeating: 0, count: initial)
        var produced = 0
        var member = 1

        try input.withUnsafeBufferPointer { inBuf in
            guard let inBase = inBuf.baseAddress else { return }
            let total = inBuf.count
            var position = 0
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase)
            stream.pointee.avail_in = 0
            while true {
                if stream.pointee.avail_in == 0 && position < total {
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase + position)
                    stream.pointee.avail_in = UInt32(min(total - position, Int(UInt32.max)))
                }
                if produced == output.count {
                    guard output.count < limit else {
                        throw DataError(path: path, offset: position, message:
                            "decompressed data exceeds the limit of \(limit) bytes; expected a dataset file of at most that size (corrupt file, or raise maxOutputBytes)")
                    }
                    let grow = min(max(output.count, 1 << 16), limit - output.count)
                    output.append(contentsOf: repeatElement(0, count: grow))
                }
                let availBefore = Int(stream.pointee.avail_in)
                let rc = output.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                    guard let outBase = outBuf.baseAddress else { return Z_BUF_ERROR }
                    let room = min(outBuf.count - produced, Int(UInt32.max))
                    stream.pointee.next_out = outBase + produced
                    stream.pointee.avail_out = UInt32(room)
                    let r = inflate(stream, Z_NO_FLUSH)
                    produced += room - Int(stream.pointee.avail_out)
                    return r
                }
                position += availBefore - Int(stream.pointee.avail_in)

                switch rc {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    if position == total { return }
                    let rest = inBuf[position...]
                    if rest.count >= 2 && rest[position] == 0x1F && rest[position + 1] == 0x8B {
                        inflateReset(stream)
                        member += 1
                        continue
                    }
                    if rest.allSatisfy({ $0 == 0 }) { return }
                    throw DataError(path: path, offset: position, message:
                        "unexpected bytes after the end of gzip member \(member): expected end of file or another gzip member (1f 8b), found \(hex(Array(rest.prefix(4))))")
                case Z_BUF_ERROR:
                    if stream.pointee.avail_out == 0 { continue }  // grow output and retry
                    throw DataError(path: path, offset: total, message:
                        "truncated gzip data: the file ends (at \(total) bytes) inside member \(member); expected more compressed data and the 8-byte CRC-32/length trailer (incomplete download?)")
                case Z_DATA_ERROR:
                    throw DataError(path: path, offset: position,
                                    message: describeDataError(zlibMessage(stream), member: member))
                case Z_NEED_DICT:
                    throw DataError(path: path, offset: position, message:
                        "zlib stream needs a preset dictionary; expected a plain gzip file")
                case Z_MEM_ERROR:
                    throw DataError(path: path, message: "out of memory while decompressing")
                default:
                    throw DataError(path: path, offset: position, message:
                        "zlib inflate failed with code \(rc) (\(zlibMessage(stream)))")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Compresses `bytes` into a single gzip member. The suite reads gzip; this exists so
    /// tests and fixture tools can write genuine gzip files with the same library.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        let rc = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "deflateInit2 failed with \(rc)")
        defer { deflateEnd(stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        bytes.withUnsafeBufferPointer { inBuf in
            var position = 0
            let total = inBuf.count
            var finished = false
            while !finished {
                let take = min(total - position, Int(UInt32.max))
                stream.pointee.next_in = inBuf.baseAddress.map { UnsafeMutablePointer(mutating: $0 + position) }
                stream.pointee.avail_in = UInt32(take)
                let flush = position + take == total ? Z_FINISH : Z_NO_FLUSH
                repeat {
                    let r = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.pointee.next_out = out.baseAddress
                        stream.pointee.avail_out = UInt32(out.count)
                        return deflate(stream, flush)
                    }
                    output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.pointee.avail_out))])
                    if r == Z_STREAM_END { finished = true }
                } while stream.pointee.avail_out == 0 && !finished
                position += take
            }
        }
        return output
    }

    /// The CRC-32 that gzip stores in its trailer, exposed so tests can build gzip members
    /// by hand (for example with a deliberately wrong checksum).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buf -> UInt32 in
            var crc: UInt = CZlib.crc32(0, nil, 0)
            var position = 0
            while position < buf.count {
                let take = min(buf.count - position, Int(UInt32.max))
                crc = CZlib.crc32(crc, buf.baseAddress.map { $0 + position }, UInt32(take))
                position += take
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    private static func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>) -> String {
        guard let msg = stream.pointee.msg else { return "no detail" }
        return String(cString: msg)
    }

    /// Turns zlib's terse messages into "expected vs found" text for the common cases.
    private static func describeDataError(_ zlib: String, member: Int) -> String {
        switch zlib {
        case "incorrect data check":
            return "CRC-32 mismatch in gzip member \(member): the decompressed data does not match the checksum in the trailer (corrupt file; zlib: \(zlib))"
        case "incorrect length check":
            return "length mismatch in gzip member \(member): the decompressed size does not match the ISIZE field in the trailer (corrupt file; zlib: \(zlib))"
        case "incorrect header check", "unknown compression method", "unknown header flags set",
             "invalid window size", "header crc mismatch":
            return "invalid gzip header in member \(member): expected a gzip/deflate header (zlib: \(zlib))"
        default:
            return "corrupt deflate data in gzip member \(member): expected a valid compressed stream (zlib: \(zlib))"
        }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined(separator: " ")
}

extension Gzip {
    /// A zlib stream (RFC 1950) of `bytes`, as PNG image data and MAT-file compressed
    /// elements hold, for writers and tests.
    public static func zlibCompress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        Inflate.deflate(bytes, level: level)
    }
}
