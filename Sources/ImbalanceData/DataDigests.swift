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
    nonisolated(unsafe) private static var current: [DataFileDigest]?
    nonisolated(unsafe) private static var recordingLock = pthread_mutex_t()
    nonisolated(unsafe) private static var stateLock = pthread_mutex_t()
    private static let initialised: Bool = {
        pthread_mutex_init(&recordingLock, nil)
        pthread_mutex_init(&stateLock, nil)
        return true
    }()

    /// Runs `body` and returns its result with the digests of the files read, in order.
    public static func recording<T>(_ body: () throws -> T) rethrows -> (T, [DataFileDigest]) {
        _ = initialised
        pthread_mutex_lock(&recordingLock)
        defer { pthread_mutex_unlock(&recordingLock) }
        pthread_mutex_lock(&stateLock); current = []; pthread_mutex_unlock(&stateLock)
        defer { pthread_mutex_lock(&stateLock); current = nil; pthread_mutex_unlock(&stateLock) }
        let value = try body()
        pthread_mutex_lock(&stateLock)
        let files = current ?? []
        pthread_mutex_unlock(&stateLock)
        return (value, files)
    }

    /// Whether a recording runs (readers may skip preparing what `note` needs otherwise).
    public static var isRecording: Bool {
        _ = initialised
        pthread_mutex_lock(&stateLock); defer { pthread_mutex_unlock(&stateLock) }
        return current != nil
    }

    /// Records the parsed content of `path` (hashed now, only while a recording runs).
    public static func note(path: String, content: [UInt8], compressed: Bool) {
        guard isRecording else { return }
        var h = SHA256()
        h.update(content)
        let digest = DataFileDigest(path: path, bytes: content.count, sha256: h.hexDigest(),
                                    compressed: compressed)
        pthread_mutex_lock(&stateLock)
        current?.append(digest)
        pthread_mutex_unlock(&stateLock)
    }
}
