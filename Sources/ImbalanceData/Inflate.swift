import CZlib

/// One-shot inflation of a zlib stream (PNG's image data) or a raw deflate stream (a zip
/// member) whose decompressed size is known in advance.
///
/// The output buffer is exactly `expectedSize` bytes, so a corrupt stream can neither
/// drive an allocation nor write past it; the stream must then end exactly there (a longer
/// or shorter stream is an error, as are input bytes after the end of the stream), because
/// the formats that use this state the size and a mismatch means a corrupt file.
enum Inflate {
    enum Wrapper {
        /// RFC 1950: 2-byte header, deflate data, Adler-32 (PNG's IDAT stream).
        case zlib
        /// RFC 1951 deflate data alone (zip members, method 8).
        case raw
    }

    /// Inflates `input`; `fail` turns a message into the caller's error (naming the file
    /// and the chunk or member).
    static func exact(_ input: UnsafeRawBufferPointer, expectedSize: Int, wrapper: Wrapper,
                      fail: (String) -> DataError) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        let bits: Int32 = wrapper == .zlib ? 15 : -15
        let rc = inflateInit2_(stream, bits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw fail("cannot initialise zlib (inflateInit2 returned \(rc))") }
        defer { inflateEnd(stream) }
        var output = [UInt8](repeating: 0, count: expectedSize)
        var produced = 0
        var consumed = 0
        var ended = false
        let total = input.count
        try output.withUnsafeMutableBufferPointer { out in
            var spare: UInt8 = 0
            while !ended {
                if stream.pointee.avail_in == 0 && consumed < total {
                    let take = min(total - consumed, Int(UInt32.max))
                    stream.pointee.next_in = UnsafeMutablePointer(
                        mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + consumed)
                    stream.pointee.avail_in = UInt32(take)
                    consumed += take
                }
                let room = min(expectedSize - produced, Int(UInt32.max))
                let r: Int32
                if room > 0 {
                    stream.pointee.next_out = out.baseAddress! + produced
                    stream.pointee.avail_out = UInt32(room)
                    r = inflate(stream, Z_NO_FLUSH)
                    produced += room - Int(stream.pointee.avail_out)
                } else {
                    // The output is full: one more byte would mean the stream is too long.
                    try withUnsafeMutablePointer(to: &spare) { p in
                        stream.pointee.next_out = p
                        stream.pointee.avail_out = 1
                        let probe = inflate(stream, Z_NO_FLUSH)
                        if stream.pointee.avail_out == 0 {
                            throw fail("the compressed data holds more than the \(expectedSize) bytes the header implies")
                        }
                        if probe == Z_STREAM_END { ended = true }
                        else if probe == Z_BUF_ERROR && stream.pointee.avail_in == 0 && consumed == total {
                            throw fail("the compressed data is truncated: it stops after \(produced) bytes without an end-of-stream marker")
                        }
                        else if probe != Z_OK && probe != Z_BUF_ERROR { throw fail(message(probe, stream)) }
                    }
                    continue
                }
                switch r {
                case Z_STREAM_END:
                    ended = true
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.pointee.avail_in == 0 && consumed == total {
                        throw fail("the compressed data is truncated: it ends after \(produced) of \(expectedSize) bytes")
                    }
                default:
                    throw fail(message(r, stream))
                }
            }
        }
        guard produced == expectedSize else {
            throw fail("the compressed data holds \(produced) bytes; expected \(expectedSize)")
        }
        let left = Int(stream.pointee.avail_in) + (total - consumed)
        guard left == 0 else {
            throw fail("\(left) byte(s) after the end of the compressed stream")
        }
        return output
    }

    private static func message(_ rc: Int32, _ stream: UnsafeMutablePointer<z_stream>) -> String {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
        return rc == Z_DATA_ERROR ? "corrupt compressed data (zlib: \(detail))" : "zlib inflate failed (\(detail))"
    }

    /// CRC-32 of `bytes` (PNG chunks, zip members).
    static func crc32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = UInt(initial)
        var at = 0
        while at < bytes.count {
            let take = min(bytes.count - at, Int(UInt32.max))
            crc = CZlib.crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, UInt32(take))
            at += take
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// A zlib stream (RFC 1950) of `bytes`, for writing PNGs.
    static func deflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var bound = Int(compressBound(UInt(bytes.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in
                var len = UInt(bound)
                let r = compress2(o.baseAddress!, &len, i.baseAddress ?? UnsafePointer(o.baseAddress!), UInt(i.count), level)
                bound = Int(len)
                return r
            }
        }
        precondition(rc == Z_OK, "compress2 failed with \(rc)")
        out.removeSubrange(bound...)
        return out
    }
}
