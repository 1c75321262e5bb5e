import Foundation
import ImbalanceTraining
#if canImport(Glibc)
import Glibc
#endif

/// The state of every job of a sweep in its results directory, as `imbench status` shows
/// it. Read-only: locks are only probed, never kept, and nothing is moved.
public enum SweepStatus {
    public enum State: Equatable, Sendable {
        /// A record of this job by this engine; `diverged` when training diverged.
        case finished(diverged: Bool)
        /// Its lock is held by a live process; `progress` is its log's last line.
        case running(progress: String?)
        /// A worker ran it and stopped without a record; `reason` from its log.
        case failed(reason: String)
        /// Never started here.
        case missing
        /// Only a record of another engine version (a sweep retrains it, or keeps it with
        /// --keep-other-engines).
        case otherEngine(version: String)
        /// records/ID.json is damaged (a sweep moves it aside and retrains).
        case corrupt(reason: String)

        public var name: String {
            switch self {
            case .finished: return "finished"
            case .running: return "running"
            case .failed: return "failed"
            case .missing: return "missing"
            case .otherEngine: return "other-engine"
            case .corrupt: return "corrupt"
            }
        }
    }

    public static func states(of jobs: [JobConfig], layout: SweepLayout) -> [(id: String, state: State)] {
        let inventory = RecordInventory(layout: layout)
        return jobs.map { job in
            let id = RunID.make(job)
            if isLockHeld(layout.lock(id)) { return (id, .running(progress: lastLine(layout.log(id)))) }
            switch inventory.state(of: job) {
            case .finished:
                let diverged = (try? RecordIO.read(layout.record(id)))?.status == "diverged"
                return (id, .finished(diverged: diverged))
            case .corrupt(let reason): return (id, .corrupt(reason: reason))
            case .otherEngine(let version, _): return (id, .otherEngine(version: version))
            case .missing:
                guard FileManager.default.fileExists(atPath: layout.log(id)) else { return (id, .missing) }
                if let error = lastWorkerError(layout.log(id)) { return (id, .failed(reason: error)) }
                return (id, .failed(reason: "stopped before finishing (killed or interrupted); last output: "
                                    + (lastLine(layout.log(id)) ?? "none")))
            }
        }
    }

    /// True when another process holds the job's lock (`flock`, as the worker takes it).
    /// Probed with a shared lock that is released at once; the file is never created.
    static func isLockHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    static func lastLine(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init)
    }
}
