import CZlib
import ImbalanceData

/// Streaming gzip decompression through the system zlib, for hashing and unpacking files
/// in constant memory (`Gzip` in ImbalanceData decompresses whole buffers, which is right
/// for the readers but not for hashing a 170 MB archive).
///
/// Follows the same rules as `Gzip.decompress`: several members decompress to the
/// concatenation of their contents, zero padding after the last member is accepted, any
/// other trailing bytes are an error, and a stream cut inside a member is reported as
/// truncated. Errors are `DataError`s naming the file.
public final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    private let path: String
    private var member = 1
    private var atMemberEnd = false
    private var inPadding = false
    /// Compressed bytes consumed so far (for error offsets).
    public private(set) var consumed = 0
    /// Decompressed bytes produced so far.
    public private(set) var produced = 0

    /// `path` only names the file in errors.
    public init(path: String) throws {
        self.path = path
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DataError(path: path, message: "cannot initialise zlib (inflateInit2 returned \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Feeds compressed bytes; `sink` receives each chunk of decompressed output (valid only
    /// during the call).
    public func feed(_ input: UnsafeRawBufferPointer,
                     _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var position = 0
        while true {
            if atMemberEnd || inPadding {
                guard position < input.count else { return }
                let byte = base[position]
                if inPadding || byte == 0 {
                    guard byte == 0 else {
                        throw DataError(path: path, offset: consumed, message:
                            "unexpected bytes after the end of gzip member \(member) and its zero padding")
                    }
                    inPadding = true
                    position += 1
                    consumed += 1
                    continue
                }
                guard byte == 0x1F else {
                    throw DataError(path: path, offset: consumed, message:
                        "unexpected bytes after the end of gzip member \(member): expected end of file or another gzip member (1f 8b), found 0x\(hexString([byte]))")
                }
                inflateReset(stream)
                atMemberEnd = false
                member += 1
            }
            let remaining = min(input.count - position, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base + position)
            stream.pointee.avail_in = UInt32(remaining)
            let room = output.count
            let rc = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(room)
                return inflate(stream, Z_NO_FLUSH)
            }
            let used = remaining - Int(stream.pointee.avail_in)
            position += used
            consumed += used
            let made = room - Int(stream.pointee.avail_out)
            if made > 0 {
                produced += made
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<made])) }
            }
            switch rc {
            case Z_STREAM_END:
                atMemberEnd = true
            case Z_OK, Z_BUF_ERROR:
                // Output full: zlib holds more; otherwise all input is used up.
                if stream.pointee.avail_out == 0 { continue }
                if position >= input.count { return }
            case Z_DATA_ERROR:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "no detail"
                throw DataError(path: path, offset: consumed, message:
                    "corrupt gzip data in member \(member) (zlib: \(message))")
            case Z_NEED_DICT:
                throw DataError(path: path, offset: consumed, message:
                    "zlib stream needs a preset dictionary; expected a plain gzip file")
            case Z_MEM_ERROR:
                throw DataError(path: path, message: "out of memory while decompressing")
            default:
                throw DataError(path: path, offset: consumed, message: "zlib inflate failed with code \(rc)")
            }
        }
    }

    /// Call after the last input: throws when the data ended inside a gzip member.
    public func finish() throws {
        guard atMemberEnd || inPadding else {
            throw DataError(path: path, offset: consumed, message:
                "truncated gzip data: the file ends (at \(consumed) bytes) inside member \(member) (incomplete download?)")
        }
    }

    /// True when `bytes` begin with the gzip magic `1f 8b`.
    public static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }
}
