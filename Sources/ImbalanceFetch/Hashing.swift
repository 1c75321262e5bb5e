#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ImbalanceData

/// Size, SHA-256 and MD5 of a byte stream.
public struct Checksum: Equatable, Sendable, Codable {
    public var size: Int64
    public var sha256: String
    public var md5: String

    public init(size: Int64, sha256: String, md5: String) {
        self.size = size
        self.sha256 = sha256
        self.md5 = md5
    }
}

/// The checksums of a file and, when it is gzip, of its decompressed content.
public struct FileHashes: Equatable, Sendable {
    public var path: String
    public var file: Checksum
    /// Checksums of the decompressed content (nil when the file is not gzip).
    public var content: Checksum?
    /// Why the content could not be decompressed (a corrupt or truncated gzip file).
    public var contentError: String?
}

/// Hashes files in one streaming pass: raw bytes and, for gzip files, the decompressed
/// content, both with SHA-256 and MD5, in constant memory (1 MiB chunks).
public enum FileHasher {
    public static let chunkSize = 1 << 20

    public static func hash(path: String, decompress: Bool = true) throws -> FileHashes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DataError(path: path, message: errno == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var sha = SHA256(), md5 = MD5()
        var contentSHA = SHA256(), contentMD5 = MD5()
        var inflater: GzipInflater?
        var contentError: String?
        var size: Int64 = 0
        var first = true
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(path: path, offset: Int(size), message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            try buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                sha.update(chunk)
                md5.update(chunk)
                if first {
                    first = false
                    if decompress && GzipInflater.hasMagic(chunk) {
                        inflater = try GzipInflater(path: path)
                    }
                }
                if let gz = inflater, contentError == nil {
                    do {
                        try gz.feed(chunk) { out in
                            contentSHA.update(out)
                            contentMD5.update(out)
                        }
                    } catch {
                        contentError = "\(error)"
                    }
                }
            }
            size += Int64(n)
        }
        var content: Checksum?
        if let gz = inflater {
            if contentError == nil {
                do { try gz.finish() } catch { contentError = "\(error)" }
            }
            if contentError == nil {
                content = Checksum(size: Int64(gz.produced), sha256: contentSHA.hexDigest(),
                                   md5: contentMD5.hexDigest())
            }
        }
        return FileHashes(path: path, file: Checksum(size: size, sha256: sha.hexDigest(), md5: md5.hexDigest()),
                          content: content, contentError: contentError)
    }
}

/// Hashes each path at most once (verify and info may look at a file for several
/// manifests, e.g. MNIST and Fashion-MNIST share file names).
public final class HashCache: @unchecked Sendable {
    private var cache: [String: FileHashes] = [:]
    private let lock = NSLock()
    public init() {}

    public func hashes(of path: String) throws -> FileHashes {
        lock.lock()
        let cached = cache[path]
        lock.unlock()
        if let cached { return cached }
        let h = try FileHasher.hash(path: path)
        lock.lock()
        cache[path] = h
        lock.unlock()
        return h
    }
}

/// How a computed checksum compares with the expected one.
public enum ChecksumMatch: Equatable, Sendable {
    /// Every known checksum matches; `by` lists them (e.g. ["SHA-256", "MD5"]).
    case matches(by: [String])
    /// A known value differs; the text says which and how.
    case differs(String)
    /// Nothing to compare against (no checksum established); `sizeMatches` when a size was.
    case unknown(sizeMatches: Bool?)

    public static func compare(_ actual: Checksum, with expected: ManifestFile.Checksums) -> ChecksumMatch {
        var by: [String] = []
        if let size = expected.size, size != actual.size {
            return .differs("size \(grouped(actual.size)) bytes, expected \(grouped(size))")
        }
        if let sha = expected.sha256 {
            guard sha == actual.sha256 else { return .differs("SHA-256 \(actual.sha256), expected \(sha)") }
            by.append("SHA-256")
        }
        if let md5 = expected.md5 {
            guard md5 == actual.md5 else { return .differs("MD5 \(actual.md5), expected \(md5)") }
            by.append("MD5")
        }
        if by.isEmpty { return .unknown(sizeMatches: expected.size.map { $0 == actual.size }) }
        return .matches(by: by)
    }

    public var isMatch: Bool { if case .matches = self { return true } else { return false } }
}

/// `1234567` -> `1,234,567`.
public func grouped<T: BinaryInteger>(_ value: T) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (value < 0 ? "-" : "") + out
}
