/// The one rule for finding a dataset's directory, shared by every command so that
/// `train`, `sweep` and `report` can never disagree about which files they read.
///
/// In order, the first that applies wins:
/// 1. `--data-dir DIR` given explicitly: DIR must hold the files (or a per-dataset
///    subfolder, e.g. `DIR/mnist`). No fallback: if the user names a directory and it is
///    wrong, silently training on other files would be worse than stopping.
/// 2. `IMBENCH_DATA_DIR`: `$IMBENCH_DATA_DIR/<name>` (per-dataset subfolders `mnist`,
///    `fashion-mnist`), then `$IMBENCH_DATA_DIR` itself holding the files directly. The
///    subfolder is tried first because MNIST and Fashion-MNIST use identical file names:
///    a directory holding files directly is taken for whichever dataset is asked for.
///    If neither holds the dataset, the search goes on (one variable may serve several
///    datasets) and the skipped places are reported in `Resolution.skipped`.
/// 3. Standard places, in order: the dataset's `placesBefore`, `~/.cache/imbench/<name>`,
///    `./data/<name>`, then its `placesAfter` (`DatasetKind`):
///    - fashion-mnist: `/usr/share/datasets/fashion-mnist` (Debian's
///      `dataset-fashion-mnist`), `~/.cache/imbench/fashion-mnist`, `./data/fashion-mnist`;
///    - mnist: `~/.cache/imbench/mnist`, `./data/mnist`, `../shared/datasets/mnist`;
///    - cifar10: `~/.cache/imbench/cifar10`, `./data/cifar10`,
///      `../shared/datasets/cifar-10-batches-bin`;
///    - cifar100, imagenet: `~/.cache/imbench/<name>`, `./data/<name>`.
///
/// Whether a directory "holds" a dataset is its reader's `locationProblem`: for IDX each
/// of the four files exists as `name` or `name.gz`; for CIFAR at least one training batch
/// and the test batch (`.bin` or `.bin.gz`), or the official `cifar-10-binary.tar.gz` /
/// `cifar-100-binary.tar.gz`; for ILSVRC-2012 the three official archives. User data given
/// with `--data PATH` is not searched for: the path is used as given (`UserDataset`).
/// Relative paths are resolved against the working directory so records carry
/// absolute paths. The environment and the file check are parameters so tests can
/// exercise the rule without touching the real system.
public enum DataLocation {
    public static let environmentVariable = "IMBENCH_DATA_DIR"

    /// Which step of the rule found the directory.
    public enum Rule: String, Sendable, Codable {
        case explicit = "--data-dir"
        case environment = "IMBENCH_DATA_DIR"
        case standard = "standard location"
    }

    /// A place that was looked at, and why it was not used (nil when it was).
    public struct Attempt: Equatable, Sendable, CustomStringConvertible {
        public var path: String
        public var rule: Rule
        public var problem: String?

        public var description: String {
            "\(path) [\(rule.rawValue)]" + (problem.map { ": \($0)" } ?? "")
        }
    }

    /// The directory found, which rule matched, and places passed over on the way.
    public struct Resolution: Equatable, Sendable, CustomStringConvertible {
        public var directory: String
        public var rule: Rule
        /// Places looked at before the match (for a note when `IMBENCH_DATA_DIR` was set
        /// but did not hold this dataset).
        public var skipped: [Attempt]

        public var description: String { "\(directory) (found by \(rule.rawValue))" }
    }

    /// Finds the directory for `kind` by the rule above.
    ///
    /// - Parameters:
    ///   - explicitDirectory: the `--data-dir` value, if given (`~/` is expanded).
    ///   - environment: at least `HOME` and `IMBENCH_DATA_DIR` when set.
    ///   - currentDirectory: base for relative paths.
    ///   - fileExists: true when a path is an existing regular file.
    ///   - isDirectory: true when a path is an existing directory.
    public static func resolve(
        _ kind: DatasetKind,
        explicitDirectory: String? = nil,
        environment: [String: String] = processEnvironment(),
        currentDirectory: String = DataLocation.currentDirectory(),
        fileExists: (String) -> Bool = regularFileExists,
        isDirectory: (String) -> Bool = directoryExists
    ) throws -> Resolution {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        var attempts: [Attempt] = []

        func check(_ path: String, _ rule: Rule) -> Bool {
            guard let problem = kind.reader.locationProblem(at: path, fileExists: fileExists,
                                                            isDirectory: isDirectory) else {
                return true
            }
            attempts.append(Attempt(path: path, rule: rule, problem: problem))
            return false
        }

        if let explicit = explicitDirectory {
            let base = absolute(explicit, home: home, currentDirectory: currentDirectory)
            for path in [base, joinPath(base, kind.rawValue)] where check(path, .explicit) {
                return Resolution(directory: path, rule: .explicit, skipped: [])
            }
            throw DataLocationError(kind: kind, attempts: attempts, fixes: [
                "check the --data-dir path: it must hold \(fileList(kind)), or a '\(kind.rawValue)' subfolder holding them",
            ])
        }

        if let value = environment[environmentVariable], !value.isEmpty {
            let base = absolute(value, home: home, currentDirectory: currentDirectory)
            for path in [joinPath(base, kind.rawValue), base] where check(path, .environment) {
                return Resolution(directory: path, rule: .environment, skipped: attempts)
            }
        }

        for path in standardDirectories(for: kind, home: home, currentDirectory: currentDirectory) {
            guard let path else {
                attempts.append(Attempt(path: "~/.cache/imbench/\(kind.rawValue)", rule: .standard,
                                        problem: "HOME is not set"))
                continue
            }
            if check(path, .standard) {
                return Resolution(directory: path, rule: .standard, skipped: attempts)
            }
        }

        var fixes: [String] = []
        if let hint = kind.installHint { fixes.append(hint) }
        fixes.append("put \(fileList(kind)) in ~/.cache/imbench/\(kind.rawValue)")
        fixes.append("or pass --data-dir DIR, or set \(environmentVariable)=DIR (DIR holding the files, or a '\(kind.rawValue)' subfolder)")
        throw DataLocationError(kind: kind, attempts: attempts, fixes: fixes)
    }

    /// The standard places for `kind`, in search order; nil stands for the home-relative
    /// place when `home` is unknown.
    public static func standardDirectories(for kind: DatasetKind, home: String?,
                                           currentDirectory: String) -> [String?] {
        let cache = home.map { normalize(joinPath($0, ".cache/imbench/\(kind.rawValue)")) }
        let local = normalize(joinPath(currentDirectory, "data/\(kind.rawValue)"))
        func place(_ p: String) -> String { p.hasPrefix("/") ? p : normalize(joinPath(currentDirectory, p)) }
        return kind.placesBefore.map(place) + [cache, local] + kind.placesAfter.map(place)
    }

    /// The variables the rule reads, taken from the process environment.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        for name in ["HOME", environmentVariable] {
            if let value = FileSystem.environmentValue(name) { result[name] = value }
        }
        return result
    }

    /// The process's working directory (physical path, from getcwd).
    public static func currentDirectory() -> String {
        FileSystem.currentDirectory()
    }

    /// True when `path` is an existing regular file (symbolic links followed).
    public static func regularFileExists(_ path: String) -> Bool {
        FileSystem.kind(of: path) == .regularFile
    }

    static func absolute(_ path: String, home: String?, currentDirectory: String) -> String {
        var p = path
        if let home, p == "~" || p.hasPrefix("~/") { p = home + p.dropFirst() }
        if !p.hasPrefix("/") { p = joinPath(currentDirectory, p) }
        return normalize(p)
    }

    /// Lexical clean-up of `.` and `..` so records and messages show plain paths. getcwd
    /// returns a physical path, so `..` here matches what the kernel would resolve.
    static func normalize(_ path: String) -> String {
        let isAbsolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", isAbsolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let body = parts.joined(separator: "/")
        if isAbsolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    private static func fileList(_ kind: DatasetKind) -> String {
        kind.reader.requirement
    }
}

/// No directory holding the dataset was found. Lists every place looked at, with what was
/// missing there, and how to fix it.
public struct DataLocationError: Error, CustomStringConvertible, Sendable {
    public var kind: DatasetKind
    public var attempts: [DataLocation.Attempt]
    public var fixes: [String]

    public var description: String {
        var lines = ["cannot find the \(kind.displayName) dataset; looked in:"]
        lines += attempts.map { "  - \($0)" }
        lines.append("to fix:")
        lines += fixes.map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }
}

extension DataLocation {
    /// `normalize` for callers outside the module (records carry plain absolute paths).
    public static func lexicallyNormalized(_ path: String) -> String { normalize(path) }
}
