import Foundation
import ImbalanceTraining

/// One results directory, one config: `DIR/sweep.yaml` says which sweep the records of DIR
/// belong to, so a second config cannot mix its records into the first one's report.
///
/// A directory whose sweep.yaml holds the same config (same values, whatever the comments
/// and layout) is resumed. One with another config is refused, unless `force`: then the
/// old sweep.yaml and the records that are not jobs of the new config move to
/// `set-aside/config-NAME-N/` (records both configs share are copied there and stay), so
/// each config's records stay together and `imbench report` of either reads only its own.
/// A directory without sweep.yaml is claimed unless records/ holds records of jobs the
/// config does not have.
public enum ConfigClaim {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Claims `layout.root` for `config` (whose YAML text is `text`), writing sweep.yaml.
    /// Returns lines to print (what `force` moved).
    @discardableResult
    public static func claim(_ layout: SweepLayout, config: SweepConfig, text: String, force: Bool) throws -> [String] {
        let path = layout.root + "/sweep.yaml"
        var notes: [String] = []
        if let problem = conflict(layout, config: config) {
            guard force else {
                throw Refusal(description: "\(layout.root) holds \(problem). Use another --out directory, or add "
                              + "--force to move that sweep's records to \(layout.relative(layout.setAside))/config-NAME-N/ "
                              + "and start this one there (records of jobs both configs share are kept, not retrained)")
            }
            notes += try setAsidePrevious(layout, config: config)
        }
        if FileManager.default.fileExists(atPath: path),
           let old = try? SweepConfig.parse(yaml: String(contentsOfFile: path, encoding: .utf8), path: path),
           comparable(old) == comparable(config) {
            return notes   // the same config: keep the file as first written
        }
        try RecordIO.writeAtomically(Data(text.utf8), to: path)
        return notes
    }

    /// Why `config` may not use the directory as it is, or nil when it may.
    public static func conflict(_ layout: SweepLayout, config: SweepConfig) -> String? {
        let path = layout.root + "/sweep.yaml"
        if FileManager.default.fileExists(atPath: path) {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            do {
                let old = try SweepConfig.parse(yaml: text, path: path)
                if comparable(old) == comparable(config) { return nil }
                let diff = differences(comparable(old), comparable(config))
                return "the records of another config, '\(old.name)' (\(path); it differs in "
                    + diff.prefix(6).joined(separator: ", ") + (diff.count > 6 ? ", ..." : "") + ")"
            } catch {
                return "a sweep.yaml that is not a valid config (\(path): \(error))"
            }
        }
        let prefixes = Set(SweepPlan.jobs(for: config).map(RunID.prefix))
        let foreign = RecordInventory(layout: layout).fileNames.filter {
            !prefixes.contains(RecordInventory.prefix(ofFileName: $0))
        }
        guard let first = foreign.first else { return nil }
        return "\(foreign.count) record(s) of jobs this config does not have (e.g. records/\(first)) and no "
            + "sweep.yaml saying which config they belong to"
    }

    /// The config as its file says it: without what is derived from where it is read (the
    /// resolved data path, the line numbers).
    static func comparable(_ c: SweepConfig) -> SweepConfig {
        var c = c
        c.data = nil
        c.userDataLine = nil
        return c
    }

    /// "key: old → new" for each stored property that differs.
    static func differences(_ a: SweepConfig, _ b: SweepConfig) -> [String] {
        let left = Mirror(reflecting: a).children, right = Mirror(reflecting: b).children
        var out: [String] = []
        for (l, r) in zip(left, right) where String(describing: l.value) != String(describing: r.value) {
            out.append("\(l.label ?? "?"): \(describe(l.value)) → \(describe(r.value))")
        }
        return out
    }

    private static func describe(_ v: Any) -> String {
        let s = String(describing: v)
        if s.hasPrefix("Optional(") && s.hasSuffix(")") { return String(s.dropFirst(9).dropLast()) }
        return s == "nil" ? "none" : s
    }

    /// Moves the previous config and its records out of the way of `config`.
    static func setAsidePrevious(_ layout: SweepLayout, config: SweepConfig) throws -> [String] {
        let path = layout.root + "/sweep.yaml"
        let oldName = (try? SweepConfig.parse(yaml: String(contentsOfFile: path, encoding: .utf8), path: path))?.name
        var k = 1
        var folder: String
        repeat {
            folder = "config-\(SweepLayout.pathComponent(oldName ?? "unknown"))-\(k)"
            k += 1
        } while FileManager.default.fileExists(atPath: layout.setAside + "/" + folder)
        let archive = layout.setAside + "/" + folder
        do {
            try FileManager.default.createDirectory(atPath: archive + "/records", withIntermediateDirectories: true)
        } catch {
            throw ExperimentError("cannot create \(archive): \(error.localizedDescription)")
        }
        if FileManager.default.fileExists(atPath: path) { try layout.moveAside(path, into: folder) }
        let ids = Set(SweepPlan.jobs(for: config).map { RunID.make($0) + ".json" })
        var moved = 0, copied = 0
        for name in RecordInventory(layout: layout).fileNames {
            let source = layout.records + "/" + name
            if ids.contains(name) {
                do {
                    try FileManager.default.copyItem(atPath: source, toPath: archive + "/records/" + name)
                    copied += 1
                } catch {
                    throw ExperimentError("cannot copy \(source) to \(archive)/records/: \(error.localizedDescription)")
                }
            } else if try layout.moveAside(source, into: folder + "/records") != nil {
                moved += 1
            }
        }
        return ["--force: the previous sweep" + (oldName.map { " '\($0)'" } ?? "") + " is now in "
                + "\(layout.relative(archive))/ (its sweep.yaml, \(moved) record(s) moved, \(copied) shared with this "
                + "config copied); `imbench report \(archive)` reports it"]
    }
}
