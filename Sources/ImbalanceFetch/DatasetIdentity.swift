import Foundation
import ImbalanceData
import ImbalanceRecords

/// Is the directory a command is about to train on the dataset it was asked for?
///
/// MNIST and Fashion-MNIST use the same file names and format, so a wrong `--data-dir`
/// would train on one and record the other. The files' content digests (SHA-256 and MD5
/// of the decompressed content, as `imbench data verify` computes them) are compared with
/// every manifest: when they are another dataset's official files the command refuses,
/// naming both, unless the mismatch is allowed. Files that match no manifest (a modified
/// or private copy) are used and recorded as such.
public enum DatasetIdentity {
    public struct Mismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// Checks `directory` for `kind` against the manifests in `store` (nil: none found, so
    /// nothing can be checked). Throws `Mismatch` when the files are another dataset's and
    /// `allowMismatch` is false.
    public static func check(_ kind: DatasetKind, directory: String, store: ManifestStore?,
                             allowMismatch: Bool, cache: HashCache = HashCache()) throws -> DataCheck {
        guard let store, !store.manifests.isEmpty else {
            return DataCheck(result: "not-checked", manifest: nil, matches: [],
                             detail: "no dataset manifests found, so the files' identity was not checked")
        }
        let reports = try Verifier.identify(directory: directory, store: store, cache: cache)
        let claimed = store.manifests.first { $0.kind == kind }
        let own = reports.first { $0.manifest.kind == kind }
        let others = reports.filter { $0.manifest.kind != kind && $0.matchCount > 0 }
        let matches = reports.filter { $0.matchCount > 0 }.map(\.manifest.name).sorted()
        if let other = others.first {
            let files = other.files.filter { [.official, .contentMatches, .decompressedMatches].contains($0.status) }
                .map(\.name)
            let detail = "\(files.joined(separator: ", ")) in \(directory) "
                + (files.count == 1 ? "is" : "are") + " the official content of \(other.manifest.displayName) "
                + "(\(other.manifest.name)), not of \(kind.displayName) (\(claimed?.name ?? kind.rawValue))"
            guard allowMismatch else {
                throw Mismatch(description: "\(detail). Give --dataset \(other.manifest.kind?.rawValue ?? other.manifest.name) "
                               + "or the directory of \(kind.displayName); --allow-mismatch trains on these files as "
                               + "\(kind.rawValue) anyway (the record says so)")
            }
            return DataCheck(result: "other-dataset", manifest: claimed?.name, matches: matches,
                             detail: detail + "; used anyway (--allow-mismatch)")
        }
        guard let own else {
            return DataCheck(result: "differs", manifest: claimed?.name, matches: matches,
                             detail: "no file in \(directory) has a name the \(claimed?.name ?? kind.rawValue) manifest lists")
        }
        let present = own.files.filter { $0.status != .missing }
        let differing = present.filter { $0.status == .differs }.map(\.name)
        if !differing.isEmpty {
            return DataCheck(result: "differs", manifest: own.manifest.name, matches: matches,
                             detail: "\(differing.joined(separator: ", ")) differ from the official \(own.manifest.displayName) "
                                + "content and match no other dataset's")
        }
        let unverifiable = present.filter { $0.status == .unverifiable }.count
        return DataCheck(result: "official", manifest: own.manifest.name, matches: matches,
                         detail: "\(own.matchCount) file(s) are the official \(own.manifest.displayName) content"
                            + (unverifiable > 0 ? ", \(unverifiable) without a published checksum" : ""))
    }

    /// The manifests next to this binary's repository (as `imbench data` finds them), or
    /// nil when there are none.
    public static func defaultStore(executablePath: String) -> ManifestStore? {
        let dir = ManifestStore.locateDirectory(explicit: nil, executablePath: executablePath,
                                                environment: ProcessInfo.processInfo.environment,
                                                currentDirectory: FileManager.default.currentDirectoryPath)
        return try? ManifestStore(directory: dir)
    }
}
