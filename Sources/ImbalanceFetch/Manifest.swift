import Foundation
import ImbalanceData

/// What the suite knows about one dataset's official release: the files as published, their
/// checksums (with where each came from), mirrors, classes and splits. One JSON file per
/// dataset in `datasets/` (see `datasets/README.md` for the schema and the sources).
///
/// Never invented: a checksum that could not be established is `null` in the file, with a
/// note saying so, and the code treats it as unknown rather than as a mismatch.
public struct DatasetManifest: Codable, Equatable, Sendable {
    public var schemaVersion: Int
    /// Command-line name, e.g. `mnist`, `cifar-10`.
    public var name: String
    /// The `DatasetKind` raw value the readers and the data-location rule use for this
    /// dataset (`cifar10` for `cifar-10`), or nil when the suite has no reader for it.
    public var datasetKind: String?
    public var displayName: String
    public var homepage: String
    public var citation: String?
    public var license: String?
    /// A reader's format name (`DatasetReaders`): `idx` (LeCun's IDX arrays) or
    /// `cifar-binary` (label byte(s) + 3,072 pixel bytes) for the manifests in datasets/.
    public var format: String
    public var formatDescription: String?
    public var imageShape: ImageShape
    /// Class names indexed by label.
    public var classNames: [String]
    /// CIFAR-100's 20 superclasses (the first label byte of each record), else nil.
    public var coarseClassNames: [String]?
    /// Bytes per record and where the (fine) label sits, for `cifar-binary`.
    public var recordLayout: RecordLayout?
    public var splits: [Split]
    /// Base URLs, canonical host first; a file's URL is the base followed by its name.
    public var mirrors: [Mirror]
    public var files: [ManifestFile]
    public var notes: [String]?

    public struct ImageShape: Codable, Equatable, Sendable {
        public var channels: Int
        public var height: Int
        public var width: Int
        public var description: String { "\(channels) x \(height) x \(width)" }
    }

    public struct RecordLayout: Codable, Equatable, Sendable {
        /// Label bytes before the pixels (1 for CIFAR-10, 2 for CIFAR-100: coarse, fine).
        public var labelBytes: Int
        /// Which label byte is the class label (`classNames` index).
        public var labelIndex: Int
        public var imageBytes: Int
        public var recordBytes: Int { labelBytes + imageBytes }
    }

    public struct Split: Codable, Equatable, Sendable {
        public var name: String
        public var images: Int
        /// Official images per class, indexed by label (nil when not published).
        public var classCounts: [Int]?
        public var classCountsSource: String?
        /// The data files of this split as the readers see them (paths relative to the
        /// dataset directory; each may also exist as `name.gz`).
        public var files: [String]
    }

    public struct Mirror: Codable, Equatable, Sendable {
        public var url: String
        public var note: String?
    }

    /// The reader's dataset kind, when the suite has one.
    public var kind: DatasetKind? { DatasetKind(rawValue: datasetKind ?? name) }

    /// The manifest file entry named `name`.
    public func file(named name: String) -> ManifestFile? {
        files.first { $0.name == name }
    }

    /// Checks the manifest's own consistency (hex lengths, counts, mirrors), so a typo in a
    /// hand-edited manifest is caught when it is loaded rather than as a "wrong checksum".
    public func validate(source: String) throws {
        func fail(_ message: String) -> ManifestError { ManifestError(path: source, message: message) }
        guard schemaVersion == 1 else { throw fail("unsupported schemaVersion \(schemaVersion); expected 1") }
        guard !name.isEmpty, !files.isEmpty else { throw fail("expected a name and at least one file") }
        guard !mirrors.isEmpty else { throw fail("expected at least one mirror") }
        for m in mirrors where !(m.url.hasPrefix("http://") || m.url.hasPrefix("https://")) || !m.url.hasSuffix("/") {
            throw fail("mirror '\(m.url)': expected an http(s) base URL ending in '/'")
        }
        func checkHex(_ value: String?, _ length: Int, _ what: String) throws {
            guard let value else { return }
            guard value.count == length, value.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw fail("\(what): expected \(length) lower-case hex digits, found '\(value)'")
            }
        }
        for f in files {
            try checkHex(f.sha256, 64, "\(f.name) sha256")
            try checkHex(f.md5, 32, "\(f.name) md5")
            try checkHex(f.content?.sha256, 64, "\(f.name) content sha256")
            try checkHex(f.content?.md5, 32, "\(f.name) content md5")
            for m in f.members ?? [] {
                try checkHex(m.sha256, 64, "\(f.name) member \(m.path) sha256")
                try checkHex(m.md5, 32, "\(f.name) member \(m.path) md5")
                guard Self.isSafeRelativePath(m.target) else {
                    throw fail("\(f.name) member target '\(m.target)': expected a relative path without '..'")
                }
            }
            guard Self.isSafeRelativePath(f.name), !f.name.contains("/") else {
                throw fail("file name '\(f.name)': expected a plain file name")
            }
        }
        for s in splits {
            if let counts = s.classCounts {
                guard counts.count == classNames.count else {
                    throw fail("split \(s.name): \(counts.count) class counts for \(classNames.count) classes")
                }
                guard counts.reduce(0, +) == s.images else {
                    throw fail("split \(s.name): class counts sum to \(counts.reduce(0, +)), expected \(s.images)")
                }
            }
        }
        guard let reader = DatasetReaders.named(format) else {
            throw fail("format '\(format)' is not a reader's; expected one of \(DatasetReaders.names.joined(separator: ", "))")
        }
        if let kindName = datasetKind {
            guard let kind = DatasetKind(rawValue: kindName) else {
                throw fail("datasetKind '\(kindName)' is not a built-in dataset; expected one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard kind.format == reader.format else {
                throw fail("format '\(format)' differs from \(kindName)'s reader, \(kind.format)")
            }
        }
        if format == "cifar-binary" {
            guard let layout = recordLayout, layout.labelIndex < layout.labelBytes,
                  layout.imageBytes == imageShape.channels * imageShape.height * imageShape.width else {
                throw fail("cifar-binary needs a recordLayout matching imageShape")
            }
        }
    }

    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
    }
}

/// One file of the official release, as downloaded.
public struct ManifestFile: Codable, Equatable, Sendable {
    /// The official file name (also its name on every mirror and on disk).
    public var name: String
    /// Size in bytes of the official download.
    public var size: Int64?
    /// SHA-256 of the official download (lower-case hex), nil when not established.
    public var sha256: String?
    /// MD5 of the official download, as publishers and common loaders list it.
    public var md5: String?
    /// Where each value came from, keyed `size`, `sha256`, `md5`.
    public var sources: [String: String]?
    public var note: String?
    /// Checksums of the decompressed content, for gzip files: lets `verify` recognise a file
    /// that was recompressed (different archive bytes, same data).
    public var content: Checksums?
    /// `tar` for archives whose members the readers need extracted, else nil.
    public var unpack: String?
    /// Archive members to extract (`unpack == "tar"`).
    public var members: [Member]?

    public struct Checksums: Codable, Equatable, Sendable {
        public var size: Int64?
        public var sha256: String?
        public var md5: String?
        public var sources: [String: String]?
        public var note: String?

        public init(size: Int64? = nil, sha256: String? = nil, md5: String? = nil,
                    sources: [String: String]? = nil, note: String? = nil) {
            self.size = size
            self.sha256 = sha256
            self.md5 = md5
            self.sources = sources
            self.note = note
        }

        public var isEmpty: Bool { sha256 == nil && md5 == nil }
    }

    public struct Member: Codable, Equatable, Sendable {
        /// Path inside the archive.
        public var path: String
        /// Where it goes, relative to the dataset directory.
        public var target: String
        public var size: Int64?
        public var sha256: String?
        public var md5: String?
        public var sources: [String: String]?
        public var note: String?

        public init(path: String, target: String, size: Int64? = nil, sha256: String? = nil,
                    md5: String? = nil, sources: [String: String]? = nil, note: String? = nil) {
            self.path = path
            self.target = target
            self.size = size
            self.sha256 = sha256
            self.md5 = md5
            self.sources = sources
            self.note = note
        }
    }

    public init(name: String, size: Int64? = nil, sha256: String? = nil, md5: String? = nil,
                sources: [String: String]? = nil, note: String? = nil, content: Checksums? = nil,
                unpack: String? = nil, members: [Member]? = nil) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.md5 = md5
        self.sources = sources
        self.note = note
        self.content = content
        self.unpack = unpack
        self.members = members
    }

    /// The download checksums as a `Checksums` value.
    public var download: Checksums { Checksums(size: size, sha256: sha256, md5: md5) }

    /// True for gzip files the readers read as they are (`.gz`, not an archive to unpack).
    public var isGzip: Bool { name.hasSuffix(".gz") && unpack == nil }
}

public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// The manifests of a `datasets/` directory, by name.
public struct ManifestStore: Sendable {
    public let directory: String
    public let manifests: [DatasetManifest]

    /// Loads and validates every `*.json` in `directory`.
    public init(directory: String) throws {
        self.directory = directory
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw ManifestError(path: directory, message: "cannot list the manifest directory (\(error.localizedDescription)); pass --manifests DIR")
        }
        guard !names.isEmpty else {
            throw ManifestError(path: directory, message: "no *.json manifests here; pass --manifests DIR (the repository's datasets/ folder)")
        }
        manifests = try names.map { try ManifestStore.load(path: directory + "/" + $0) }
    }

    public init(manifests: [DatasetManifest], directory: String = "(in memory)") {
        self.directory = directory
        self.manifests = manifests
    }

    public static func load(path: String) throws -> DatasetManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ManifestError(path: path, message: "cannot read the manifest")
        }
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ManifestError(path: path, message: "missing key '\(key.stringValue)' at \(codingPath(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ManifestError(path: path, message: "\(context.debugDescription) at \(codingPath(context.codingPath))")
        } catch {
            throw ManifestError(path: path, message: "not a valid manifest: \(error)")
        }
        try manifest.validate(source: path)
        return manifest
    }

    private static func codingPath(_ path: [CodingKey]) -> String {
        path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    public var names: [String] { manifests.map(\.name) }

    public func manifest(named name: String) throws -> DatasetManifest {
        let wanted = name.lowercased()
        if let m = manifests.first(where: { $0.name == wanted || $0.datasetKind == wanted }) { return m }
        throw ManifestError(path: directory, message: "no manifest for '\(name)'; known datasets: \(names.joined(separator: ", "))")
    }

    /// Finds the manifest directory: `explicit` (`--manifests`), else `$IMBENCH_MANIFESTS`,
    /// else a `datasets/` folder holding `mnist.json` in the executable's directory or up to
    /// four levels above it (the repository an `imbench` binary was built in:
    /// `.build/<config>/imbench`), else `./datasets`.
    ///
    /// The manifests stay plain files in the repository rather than compiled-in resources:
    /// they are meant to be read and reviewed (each checksum names its source), users can
    /// add a mirror without rebuilding, and SwiftPM resources must live inside a target's
    /// folder, which would move them away from the `datasets/` the issue asks for.
    public static func locateDirectory(explicit: String?, executablePath: String,
                                       environment: [String: String],
                                       currentDirectory: String) -> String {
        if let explicit { return explicit }
        if let env = environment["IMBENCH_MANIFESTS"], !env.isEmpty { return env }
        var dir = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("datasets")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("mnist.json").path) {
                return candidate.path
            }
            dir.deleteLastPathComponent()
        }
        return currentDirectory + "/datasets"
    }
}
