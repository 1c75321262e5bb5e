/// The built-in datasets: each is a configured reader (`DatasetReader`) plus what the
/// dataset must look like and where it is usually kept. `allCases` is the registry that the
/// data-location rule, the loaders, help texts, config validation and the manifests read;
/// a new built-in dataset is one static value and one entry there.
///
/// The raw value is the name used on the command line, in run records, and as the
/// per-dataset folder name under data directories. Loading checks the files against
/// `imageShape` and `classNames`, so pointing the suite at the wrong dataset's files fails
/// loudly instead of training on them.
public struct DatasetKind: RawRepresentable, CaseIterable, Hashable, Sendable, Codable,
                           CustomStringConvertible {
    public let rawValue: String
    /// Name for messages and reports.
    public let displayName: String
    /// The reader, configured for this dataset's files.
    public let reader: any DatasetReader
    /// Class names indexed by label, as the dataset authors define them (CIFAR-100: the 100
    /// fine classes; `classNames(label:)` gives the coarse ones). Loaders take CIFAR names
    /// from the meta file when there is one, so these are the fallback there.
    public let classNames: [String]
    /// Image shape (channels, height, width) of the stored images (ILSVRC-2012: of the
    /// network input, 224 x 224 crops).
    public let imageShape: (channels: Int, height: Int, width: Int)
    /// The per-class cap of the balanced training base set (see each dataset's value).
    public let protocolMaxPerClass: Int?
    /// Standard places searched before `~/.cache/imbench/NAME` and `./data/NAME`, and after
    /// them; relative paths are taken from the working directory.
    public let placesBefore: [String]
    public let placesAfter: [String]
    /// How to install the dataset, when a package provides it.
    public let installHint: String?
    /// Classes the dataset has: `classNames.count`, or for a dataset whose names come from
    /// its files (ILSVRC-2012), the number the protocol expects. Config checks use it.
    public let expectedClassCount: Int

    public var classCount: Int { classNames.count }
    public var description: String { rawValue }

    /// The built-in dataset called `rawValue`, or nil.
    public init?(rawValue: String) {
        guard let kind = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = kind
    }

    init(name: String, displayName: String, reader: any DatasetReader, classNames: [String],
         imageShape: (Int, Int, Int), protocolMaxPerClass: Int?, placesBefore: [String] = [],
         placesAfter: [String] = [], installHint: String? = nil, expectedClassCount: Int? = nil) {
        self.expectedClassCount = expectedClassCount ?? classNames.count
        self.rawValue = name; self.displayName = displayName; self.reader = reader
        self.classNames = classNames; self.imageShape = imageShape
        self.protocolMaxPerClass = protocolMaxPerClass; self.placesBefore = placesBefore
        self.placesAfter = placesAfter; self.installHint = installHint
    }

    public static func == (a: DatasetKind, b: DatasetKind) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let kind = DatasetKind(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown dataset '\(name)'"))
        }
        self = kind
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    /// The registry, in the order help texts list them.
    public static let allCases: [DatasetKind] = [.mnist, .fashionMNIST, .cifar10, .cifar100, .imagenet]

    /// PROTOCOL: MNIST caps each class of the base set at 5,000.
    public static let mnist = DatasetKind(
        name: "mnist", displayName: "MNIST", reader: IDXReader(files: .standard),
        classNames: (0..<10).map(String.init), imageShape: (1, 28, 28), protocolMaxPerClass: 5_000,
        placesAfter: ["../shared/datasets/mnist"])

    /// Not in the paper: it stands in for MNIST (same shape and class count, 6,000 per
    /// class), so it follows MNIST's cap to keep base sets alike.
    public static let fashionMNIST = DatasetKind(
        name: "fashion-mnist", displayName: "Fashion-MNIST", reader: IDXReader(files: .standard),
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        imageShape: (1, 28, 28), protocolMaxPerClass: 5_000,
        placesBefore: ["/usr/share/datasets/fashion-mnist"],
        installHint: "install it: apt-get install dataset-fashion-mnist (puts the files in /usr/share/datasets/fashion-mnist)")

    /// PROTOCOL: "5,000 (all)", i.e. all of the official training set.
    public static let cifar10 = DatasetKind(
        name: "cifar10", displayName: "CIFAR-10", reader: CIFARReader(layout: .cifar10),
        classNames: CIFARClassNames.cifar10, imageShape: (3, 32, 32), protocolMaxPerClass: 5_000,
        placesAfter: ["../shared/datasets/cifar-10-batches-bin"])

    /// Not in the paper: nil keeps all of its 500 images per class.
    public static let cifar100 = DatasetKind(
        name: "cifar100", displayName: "CIFAR-100", reader: CIFARReader(layout: .cifar100),
        classNames: CIFARClassNames.cifar100Fine, imageShape: (3, 32, 32), protocolMaxPerClass: nil)

    /// ILSVRC-2012 in the official layout (`ILSVRC2012Reader`). PROTOCOL: the base set has
    /// 1,000 images per class (and 50 per class to test, the whole validation set). Class
    /// names are the WordNet ids of the training archive's per-class tars, sorted (Caffe's
    /// label order); the built-in list is empty because they come from the archive.
    public static let imagenet = DatasetKind(
        name: "imagenet", displayName: "ILSVRC-2012", reader: ILSVRC2012Reader(),
        classNames: [], imageShape: (3, 224, 224), protocolMaxPerClass: 1_000,
        expectedClassCount: 1_000)

    /// The reader's format name (`idx`, `cifar-binary`, `ilsvrc2012`).
    public var format: String { reader.format }

    /// Base names of the four IDX files (empty names for datasets in other formats).
    public var files: IDXFileNames {
        (reader as? IDXReader)?.files ?? IDXFileNames(trainImages: "", trainLabels: "", testImages: "", testLabels: "")
    }
}

/// The base names of a dataset's four IDX files.
public struct IDXFileNames: Equatable, Sendable {
    public var trainImages: String
    public var trainLabels: String
    public var testImages: String
    public var testLabels: String

    /// MNIST's names, which Fashion-MNIST, KMNIST and others reuse.
    public static let standard = IDXFileNames(trainImages: "train-images-idx3-ubyte",
                                              trainLabels: "train-labels-idx1-ubyte",
                                              testImages: "t10k-images-idx3-ubyte",
                                              testLabels: "t10k-labels-idx1-ubyte")

    /// The four names (empty for a kind that has no IDX files).
    public var all: [String] { [trainImages, trainLabels, testImages, testLabels].filter { !$0.isEmpty } }
}

/// A dataset's training and test sets (and validation set, when it has one), and where
/// they came from (kept for run records, so a result can be traced back to its files).
public struct DatasetSplits: Sendable {
    /// The built-in dataset, or nil for a user's own data.
    public var kind: DatasetKind?
    /// The dataset's name (`kind.rawValue` for built-in ones).
    public var name: String
    public var train: ImageDataset
    public var test: ImageDataset
    /// A validation set: stored with the data (MedMNIST's `val_*`, a `val/` folder, CSV rows
    /// with split `val`) or split off the training set (`ValidationSplit`); nil when none.
    public var validation: ImageDataset?
    /// Images decoded as batches need them (ILSVRC-2012). When set, `train` and `test` are
    /// empty placeholders and `streamed` holds the sets.
    public var streamed: StreamedSplits?
    public var directory: String
    /// Which files were read and a one-line summary for the CLI (`sources?.summary`), set by
    /// the loaders; nil for splits built by hand.
    public var sources: DatasetSources?

    public init(kind: DatasetKind?, name: String? = nil, train: ImageDataset, test: ImageDataset,
                validation: ImageDataset? = nil, directory: String, sources: DatasetSources? = nil) {
        self.kind = kind
        self.name = name ?? kind?.rawValue ?? "data"
        self.train = train
        self.test = test
        self.validation = validation
        self.directory = directory
        self.sources = sources
    }

    /// The training set's labels and classes, in memory or streamed.
    public var trainImages: any LabelledImages { streamed?.train ?? train }
    /// The test set's labels and classes, in memory or streamed.
    public var testImages: any LabelledImages { streamed?.test ?? test }
}

/// What base sets, imbalance and resampling need of a training set: its labels and
/// classes, whether the pixels sit in memory (`ImageDataset`) or are decoded on demand
/// (`StreamedImages`).
public protocol LabelledImages: Sendable {
    var name: String { get }
    var labels: [Int] { get }
    var classNames: [String] { get }
}

extension LabelledImages {
    public var count: Int { labels.count }
    public var classCount: Int { classNames.count }

    /// Images per class, indexed by label (`classCount` entries).
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// For every class, the indices of its images in ascending order (`classCount` lists).
    public func indicesByClass() -> [[Int]] {
        var result = [[Int]](repeating: [], count: classCount)
        let counts = classCounts()
        for c in 0..<classCount { result[c].reserveCapacity(counts[c]) }
        for (i, label) in labels.enumerated() { result[label].append(i) }
        return result
    }
}

extension ImageDataset: LabelledImages {}

/// Loads the training and test sets of an IDX dataset from `directory`.
///
/// Checks beyond the IDX format itself: image shape matches the dataset, image and label
/// counts agree, and every label is below the class count. Each error names the file.
/// Datasets in other formats are refused with a pointer to `loadDataset(kind:directory:)`.
public func loadIDXDataset(kind: DatasetKind, directory: String) throws -> DatasetSplits {
    guard kind.reader is IDXReader else {
        throw DataError(path: directory, message: "\(kind.displayName) is not stored as IDX files but as \(kind.reader.summary); load it with loadDataset(kind:directory:)")
    }
    return try IDXReader(files: kind.files).read(ReadRequest(path: directory, kind: kind))
}

func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
