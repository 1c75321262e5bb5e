#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for reads at any offset (`pread`), shared by every image stored in it.
public final class RandomAccessFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    private let fd: Int32

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw DataError(path: path, message: code == ENOENT ? "no such file" : "cannot open: \(FileSystem.errnoText(code))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw DataError(path: path, message: "is not a regular file")
        }
        self.fd = fd
        self.path = path
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// `count` bytes at `offset`, which must lie inside the file.
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw DataError(path: path, offset: offset, message: "read of \(count) bytes at \(offset) is outside the file (\(size) bytes); did it change while in use?")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw DataError(path: path, offset: offset + done, message: n == 0 ? "unexpected end of file (truncated while in use?)" : "read failed: \(FileSystem.errnoText(errno))")
        }
        return out
    }
}

/// Images kept compressed in their archive and decoded when a batch needs them, for sets
/// too large for memory (ILSVRC-2012's base set is a million JPEGs).
///
/// `decode(i)` reads image i's bytes, decodes them (PNG or JPEG, by content) and applies
/// `conversion` (ILSVRC-2012: RGB, shorter side 256), returning planes whose size varies
/// from image to image; the input pipeline crops them to the network's input. Thread-safe:
/// reads use `pread` and share no state.
public final class StreamedImages: LabelledImages, @unchecked Sendable {
    public let name: String
    public let labels: [Int]
    public let classNames: [String]
    /// Channels of every decoded image.
    public let channels: Int
    public let conversion: ImageConversion
    let file: RandomAccessFile
    /// Where each image's bytes are in `file`, and its name for messages.
    let entries: [(offset: Int, size: Int, name: String)]

    init(name: String, file: RandomAccessFile, entries: [(offset: Int, size: Int, name: String)],
         labels: [Int], classNames: [String], conversion: ImageConversion) {
        precondition(entries.count == labels.count)
        self.name = name; self.file = file; self.entries = entries; self.labels = labels
        self.classNames = classNames; self.conversion = conversion
        self.channels = conversion.channels ?? 3
    }

    /// Where image `i` comes from, e.g. `ILSVRC2012_img_train.tar:n01440764.tar:n01440764_10026.JPEG`.
    public func source(of i: Int) -> String { file.path + ":" + entries[i].name }

    /// Image `i` as planes (CHW) of `channels` x height x width.
    public func decode(_ i: Int) throws -> (pixels: [UInt8], height: Int, width: Int) {
        let e = entries[i]
        let bytes = try file.read(at: e.offset, count: e.size)
        let image = try ImageFile.decode(bytes, path: source(of: i))
        let planes = conversion.planes(image)
        return (planes.pixels, planes.height, planes.width)
    }
}

/// A dataset whose training and test sets are `StreamedImages`.
public struct StreamedSplits: Sendable {
    public var train: StreamedImages
    public var test: StreamedImages
    /// Side of the square crops the network sees (224 for ILSVRC-2012).
    public var cropSize: Int
}
