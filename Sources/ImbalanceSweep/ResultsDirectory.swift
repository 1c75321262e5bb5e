import Foundation
import ImbalanceTraining
#if canImport(Glibc)
import Glibc
#endif

/// What a results directory holds for one job of a plan.
public enum JobRecordState: Equatable, Sendable {
    /// records/ID.json is a complete record of this job (this engine).
    case finished
    /// No record of this job by this engine, but one of the same configuration by another
    /// engine version (or written before job ids included the engine version).
    case otherEngine(version: String, file: String)
    /// records/ID.json exists but is not a readable record of this job.
    case corrupt(reason: String)
    /// No record.
    case missing
}

/// Which records of a results directory belong to which jobs, read once per sweep.
///
/// A job's own record is `records/ID.json`. Records of the same configuration by another
/// engine carry another hash but the same readable prefix (`RunID.prefix`), so only the
/// files sharing a job's prefix are opened to look for them.
public final class RecordInventory {
    public let layout: SweepLayout
    private var byPrefix: [String: [String]] = [:]
    private var names: Set<String> = []
    private var decoded: [String: RunRecord?] = [:]

    public init(layout: SweepLayout) {
        self.layout = layout
        let files = (try? FileManager.default.contentsOfDirectory(atPath: layout.records)) ?? []
        for f in files where f.hasSuffix(".json") && !f.hasPrefix(".") {
            names.insert(f)
            byPrefix[Self.prefix(ofFileName: f), default: []].append(f)
        }
        for k in byPrefix.keys { byPrefix[k]!.sort() }
    }

    /// Every record file name (`*.json`) in records/.
    public var fileNames: [String] { names.sorted() }

    /// The readable prefix of a record file name: the name without `-HASH.json`.
    public static func prefix(ofFileName name: String) -> String {
        let stem = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        guard let dash = stem.lastIndex(of: "-") else { return stem }
        let hash = stem[stem.index(after: dash)...]
        return hash.count == 16 && hash.allSatisfy(\.isHexDigit) ? String(stem[..<dash]) : stem
    }

    private func read(_ name: String) -> RunRecord? {
        if let r = decoded[name] { return r }
        let r = try? RecordIO.read(layout.records + "/" + name)
        decoded[name] = r
        return r
    }

    public func state(of job: JobConfig) -> JobRecordState {
        let id = RunID.make(job)
        let own = id + ".json"
        if names.contains(own) {
            do {
                let r = try RecordIO.read(layout.record(id))
                if r.id == id { return .finished }
                return .corrupt(reason: "it holds the record of \(r.id), not of \(id)")
            } catch {
                // Gone since the listing (moved aside by another sweep): look again below.
                if FileManager.default.fileExists(atPath: layout.record(id)) {
                    return .corrupt(reason: Self.reason(error))
                }
            }
        }
        for name in byPrefix[RunID.prefix(job)] ?? [] where name != own {
            guard let r = read(name), r.id != id, RunID.make(r.config) == id else { continue }
            return .otherEngine(version: r.tool.version, file: name)
        }
        return .missing
    }

    static func reason(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("is not a valid run record") { return "not a valid run record (truncated or damaged)" }
        return text
    }
}

/// Moving files aside, never deleting them: records of another engine, corrupt records and
/// the records of a config that `--force` replaced go under `DIR/set-aside/`, outside
/// records/, so reports of DIR no longer read them but nothing is lost.
extension SweepLayout {
    public var setAside: String { root + "/set-aside" }

    /// Moves `path` into `set-aside/<folder>/`, keeping its name (with `.1`, `.2`, ... when
    /// the name is taken). Returns the new path, or nil when `path` no longer exists (another
    /// process moved it first).
    @discardableResult
    public func moveAside(_ path: String, into folder: String) throws -> String? {
        let dir = setAside + "/" + folder
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ExperimentError("cannot create \(dir) to move \(path) aside: \(error.localizedDescription)")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        var target = dir + "/" + name
        var k = 1
        while FileManager.default.fileExists(atPath: target) { target = dir + "/" + name + ".\(k)"; k += 1 }
        if rename(path, target) == 0 { return target }
        let e = errno
        if e == ENOENT { return nil }
        throw ExperimentError("cannot move \(path) to \(target): \(String(cString: strerror(e)))")
    }

    /// A version or a config's name as one path component of plain characters (letters,
    /// digits, `._+-`; anything else becomes `_`, and a leading dot too).
    public static func pathComponent(_ s: String) -> String {
        var out = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._+-".contains($0)) ? $0 : "_" })
        while out.hasPrefix(".") { out = "_" + out.dropFirst() }
        return out.isEmpty ? "_" : out
    }

    /// `path` relative to the results directory, for messages.
    public func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}

/// Before a sweep trains: corrupt records are moved aside and their jobs retrained; records
/// of another engine version are moved aside and their jobs retrained, or, with
/// `keepOtherEngines`, counted as finished.
public enum RecordHousekeeping {
    public struct Outcome: Sendable {
        /// Jobs whose record of another engine is kept and counted as finished.
        public var kept: Set<String> = []
        public var movedOtherEngine = 0
        public var movedCorrupt = 0
    }

    public static func prepare(_ jobs: [JobConfig], layout: SweepLayout, keepOtherEngines: Bool,
                               log: (String) -> Void) throws -> Outcome {
        let inventory = RecordInventory(layout: layout)
        var outcome = Outcome()
        var otherEngines: [String: Int] = [:]
        for job in jobs {
            let id = RunID.make(job)
            switch inventory.state(of: job) {
            case .finished, .missing:
                break
            case .corrupt(let reason):
                if let moved = try layout.moveAside(layout.record(id), into: "corrupt") {
                    outcome.movedCorrupt += 1
                    log("[corrupt] records/\(id).json: \(reason); moved to \(layout.relative(moved)), retraining the job")
                }
            case .otherEngine(let version, let file):
                if keepOtherEngines {
                    outcome.kept.insert(id)
                    otherEngines[version, default: 0] += 1
                } else if try layout.moveAside(layout.records + "/" + file, into: "engine-" + SweepLayout.pathComponent(version)) != nil {
                    outcome.movedOtherEngine += 1
                    otherEngines[version, default: 0] += 1
                }
            }
        }
        for (version, n) in otherEngines.sorted(by: { $0.key < $1.key }) {
            let whose = version == ImbalanceBenchInfo.version
                ? "engine \(version) under ids from before the engine version was part of a job's id"
                : "engine \(version), not this one (\(ImbalanceBenchInfo.version))"
            if keepOtherEngines {
                log("kept \(n) record(s) written by \(whose) as finished (--keep-other-engines)")
            } else {
                log("\(n) record(s) were written by \(whose): moved to "
                    + "\(layout.relative(layout.setAside))/engine-\(SweepLayout.pathComponent(version))/ and their jobs will be retrained "
                    + "(--keep-other-engines counts them as finished instead)")
            }
        }
        return outcome
    }

}
