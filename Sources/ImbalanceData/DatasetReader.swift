/// The dataset-reader contract: one conformer per file format, all listed in
/// `DatasetReaders.all`, which the data-location rule, loading, the command line's help
/// texts, config validation and the manifests read.
///
/// A reader says what it is called (`format`, the name in configs and `--format`), what a
/// path must hold (`requirement`), how to recognise such a path without reading it whole
/// (`locationProblem`), and reads the train / test / optional validation splits
/// (`read`). Built-in datasets (`DatasetKind`) are a configured reader plus what the
/// dataset must look like; a user's own data is a reader and a path (`UserDataset`).
///
/// Every reader returns images in a documented canonical order that does not depend on
/// the order the files list them in (directory listings, CSV rows, zip members), so the
/// same data always gives the same run.
public protocol DatasetReader: Sendable {
    /// Name in configs and on the command line: `idx`, `cifar-binary`, `npz`, `folder`,
    /// `csv`, `ilsvrc2012`.
    var format: String { get }
    /// One line for help texts: what the format is.
    var summary: String { get }
    /// What a path must hold, for messages ("a directory holding ...").
    var requirement: String { get }
    /// Why `path` does not hold data in this format, or nil when it does. Looks only at
    /// names and existence (through `fileExists` for regular files and `isDirectory`), so
    /// the location rule and format guessing can call it on many places cheaply and tests
    /// can give it a fake file system.
    func locationProblem(at path: String, fileExists: (String) -> Bool,
                         isDirectory: (String) -> Bool) -> String?
    /// Reads the splits stored at `request.path`.
    func read(_ request: ReadRequest) throws -> DatasetSplits
}

/// What a reader is asked to read.
public struct ReadRequest: Sendable {
    /// The file or directory.
    public var path: String
    /// The built-in dataset being read, whose shape and classes the files must match; nil
    /// for a user's own data, whose shape and classes come from the files.
    public var kind: DatasetKind?
    /// CIFAR-100's label choice (`fine` for every other dataset).
    public var label: CIFARLabel
    /// Shape conversion applied to every image as it is read (nil: keep the stored shape,
    /// which must then be the same for every image).
    public var conversion: ImageConversion?
    /// Dataset name for `ImageDataset.name` and messages (user data).
    public var name: String
    /// For data without a test split: the stratified fraction of it to hold out as the test
    /// set (an error when the data has its own test split).
    public var testFraction: Double?
    /// The stratified fraction of the training set to hold out as the validation set (an
    /// error when the data has its own validation split).
    public var validationFraction: Double?
    /// Seed of those splits (`StratifiedSplit`); fixed per dataset, not per run, so every
    /// job of a sweep tests on the same images.
    public var splitSeed: UInt64

    public init(path: String, kind: DatasetKind? = nil, label: CIFARLabel = .fine,
                conversion: ImageConversion? = nil, name: String? = nil,
                testFraction: Double? = nil, validationFraction: Double? = nil, splitSeed: UInt64 = 0) {
        self.path = path; self.kind = kind; self.label = label; self.conversion = conversion
        self.name = name ?? kind?.rawValue ?? UserDataset.defaultName(path)
        self.testFraction = testFraction; self.validationFraction = validationFraction
        self.splitSeed = splitSeed
    }
}

/// The registry of readers. A new format is one file with its conformer and one entry here.
public enum DatasetReaders {
    /// In the order format guessing tries them.
    public static let all: [any DatasetReader] = [
        NPZReader(),
        CSVListReader(),
        IDXReader(),
        CIFARReader(layout: .cifar10),
        ILSVRC2012Reader(),
        ImageFolderReader(),
    ]

    /// The format names, in registry order.
    public static var names: [String] { all.map(\.format) }

    /// The reader called `format`.
    public static func named(_ format: String) -> (any DatasetReader)? {
        all.first { $0.format == format }
    }

    /// The first reader that recognises `path`, or an error listing why each did not.
    public static func guess(_ path: String, fileExists: (String) -> Bool = DataLocation.regularFileExists,
                             isDirectory: (String) -> Bool = DataLocation.directoryExists) throws -> any DatasetReader {
        var why: [String] = []
        for reader in all {
            guard let problem = reader.locationProblem(at: path, fileExists: fileExists, isDirectory: isDirectory) else {
                return reader
            }
            why.append("\(reader.format): \(problem)")
        }
        if !fileExists(path) && !isDirectory(path) {
            throw DataError(path: path, message: "no such file or directory")
        }
        throw DataError(path: path, message: "cannot tell its format; give one with --format (config: dataset.format):\n"
                        + why.map { "  - \($0)" }.joined(separator: "\n"))
    }

    /// Help text: one line per format.
    public static var help: String {
        all.map { "\($0.format): \($0.summary)" }.joined(separator: "\n")
    }
}

extension DataLocation {
    /// True when `path` is an existing directory (symbolic links followed).
    public static func directoryExists(_ path: String) -> Bool {
        FileSystem.kind(of: path) == .directory
    }
}

/// Why a path is not a directory / regular file, or nil; shared wording for readers.
func kindProblem(_ path: String, wantDirectory: Bool, fileExists: (String) -> Bool,
                 isDirectory: (String) -> Bool) -> String? {
    if wantDirectory {
        if isDirectory(path) { return nil }
        return fileExists(path) ? "is a file, not a directory" : "no such directory"
    }
    if fileExists(path) { return nil }
    return isDirectory(path) ? "is a directory, not a file" : "no such file"
}
