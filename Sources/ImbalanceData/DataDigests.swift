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
}
