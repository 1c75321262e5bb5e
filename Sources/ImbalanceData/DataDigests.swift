@_exported import ImbalanceDigest
#if canImport(Glibc)
import Glibc
#endif

/// Collects the digests of the data files a load reads, so a run record can say exactly
/// which bytes it was trained and tested on (`loadDataset` records them into
/// `DatasetSources.digests`). Readers report each file they parse through `note` (the
/// shared `Gzip.readFile` does it for every IDX and CIFAR file).
///
/// One recording at a time per process (a lock serialises them), so reads from worker
/// threads inside a load are caught too; nothing is hashed while no recording runs.
public enum DataDigests {
    /// A mutex on the heap (a Swift global's address is not guaranteed stable for C).
    private final class Mutex: @unchecked Sendable {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        init() { pthread_mutex_init(m, nil) }
        func locked<T>(_ body: () throws -> T) rethrows -> T {
            pthread_mutex_lock(m); defer { pthread_mutex_unlock(m) }
            return try body()
        }
    }
    private static let recordingLock = Mutex(), stateLock = Mutex()
    nonisolated(unsafe) private static var current: [DataFileDigest]?

    /// Runs `body` and returns its result with the digests of the files read, in order.
    public static func recording<T>(_ body: () throws -> T) rethrows -> (T, [DataFileDigest]) {
        try recordingLock.locked {
            stateLock.locked { current = [] }
            defer { stateLock.locked { current = nil } }
            let value = try body()
            return (value, stateLock.locked { current ?? [] })
        }
    }

    /// Whether a recording runs (readers may skip preparing what `note` needs otherwise).
    public static var isRecording: Bool { stateLock.locked { current != nil } }

    /// Records the parsed content of `path` (hashed now, only while a recording runs).
    public static func note(path: String, content: [UInt8], compressed: Bool) {
        guard isRecording else { return }
        var h = SHA256()
        h.update(content)
        let digest = DataFileDigest(path: path, bytes: content.count, sha256: h.hexDigest(),
                                    compressed: compressed)
        stateLock.locked { current?.append(digest) }
    }

    /// Records a digest computed by the reader (a whole image folder or CSV list as one
    /// entry: `FileSetDigest`).
    public static func note(_ digest: DataFileDigest) {
        guard isRecording else { return }
        stateLock.locked { current?.append(digest) }
    }
}

/// One digest for a set of files read together (an image folder's or a CSV list's images),
/// so a record of a 70,000-image folder carries one entry, not 70,000: SHA-256 over, for
/// every file in the reader's canonical order, its path relative to the set's root (UTF-8),
/// a NUL byte, its length as 8 bytes little-endian, and its bytes. `bytes` counts the
/// files' bytes. Computed only while a digest recording runs.
struct FileSetDigest {
    private var hash = SHA256()
    private var total = 0
    private var files = 0
    private let active = DataDigests.isRecording

    mutating func add(relative: String, bytes: [UInt8]) {
        guard active else { return }
        hash.update(Array(relative.utf8) + [0] + (0..<8).map { UInt8(truncatingIfNeeded: bytes.count >> (8 * $0)) })
        hash.update(bytes)
        total += bytes.count
        files += 1
    }

    /// Notes the set as `path` (described as `path (N files)`), when it holds any file.
    func note(path: String) {
        guard active, files > 0 else { return }
        DataDigests.note(DataFileDigest(path: "\(path) (\(files) files)", bytes: total,
                                        sha256: hash.hexDigest(), compressed: false))
    }
}

