/// The datasets the suite knows how to find and load.
///
/// The raw value is the name used on the command line, in run records, and as the
/// per-dataset folder name under data directories. MNIST and Fashion-MNIST are IDX files;
/// CIFAR-10 and CIFAR-100 are CIFAR binary batches (`cifarLayout`, CIFAR.swift). Everything
/// keyed on the kind (class names, file names, search locations) lives here or in the
/// format's file, and `loadDataset(kind:directory:)` reads any of them.
public enum DatasetKind: String, CaseIterable, Sendable, Codable {
    case mnist = "mnist"
    case fashionMNIST = "fashion-mnist"
    case cifar10 = "cifar10"
    case cifar100 = "cifar100"

    /// Name for messages and reports.
    public var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        }
    }

    /// The file format the dataset is stored in.
    public var format: DatasetFormat {
        switch self {
        case .mnist, .fashionMNIST: return .idx
        case .cifar10, .cifar100: return .cifarBinary
        }
    }

    /// Class names indexed by label, as the dataset authors define them (CIFAR-100: the
    /// 100 fine classes; `classNames(label:)` gives the coarse ones). Loaders take CIFAR
    /// names from the meta file when there is one, so these are the fallback there.
    public var classNames: [String] {
        switch self {
        case .mnist:
            return (0..<10).map(String.init)
        case .fashionMNIST:
            return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .cifar10:
            return CIFARClassNames.cifar10
        case .cifar100:
            return CIFARClassNames.cifar100Fine
        }
    }

    public var classCount: Int { classNames.count }

    /// Image shape (channels, height, width). Loading checks files against it, so pointing
    /// the suite at the wrong dataset's files fails loudly instead of training on them.
    public var imageShape: (channels: Int, height: Int, width: Int) {
        switch self {
        case .mnist, .fashionMNIST: return (1, 28, 28)
        case .cifar10, .cifar100: return (3, 32, 32)
        }
    }

    /// Base names of the four IDX files; each may exist as `name` or `name.gz`.
    ///
    /// IDX datasets only: for CIFAR kinds every name is empty and `all` is empty (their
    /// files are described by `cifarLayout`). Check `format` before using the names.
    public var files: IDXFileNames {
        switch self {
        case .mnist, .fashionMNIST:
            return IDXFileNames(trainImages: "train-images-idx3-ubyte",
                                trainLabels: "train-labels-idx1-ubyte",
                                testImages: "t10k-images-idx3-ubyte",
                                testLabels: "t10k-labels-idx1-ubyte")
        case .cifar10, .cifar100:
            return IDXFileNames(trainImages: "", trainLabels: "", testImages: "", testLabels: "")
        }
    }

    /// The per-class cap of the balanced training base set (PROTOCOL: MNIST caps each class
    /// at 5,000). Fashion-MNIST is not in the paper; it stands in for MNIST (same shape and
    /// class count, 6,000 per class), so it follows MNIST's rule to keep base sets alike.
    /// CIFAR-10: 5,000, i.e. all of the official training set (PROTOCOL: "5,000 (all)").
    /// CIFAR-100 is not in the paper: nil keeps all of its 500 images per class.
    public var protocolMaxPerClass: Int? {
        switch self {
        case .mnist, .fashionMNIST, .cifar10: return 5_000
        case .cifar100: return nil
        }
    }
}

/// How a dataset's files are stored.
public enum DatasetFormat: String, Sendable, Codable {
    /// LeCun's IDX files (`IDXFile`), four per dataset.
    case idx
    /// CIFAR binary batches (`CIFARFile`), loose or in the official tar.gz archive.
    case cifarBinary
}

/// The base names of a dataset's four IDX files.
public struct IDXFileNames: Equatable, Sendable {
    public var trainImages: String
    public var trainLabels: String
    public var testImages: String
    public var testLabels: String

    /// The four names (empty for a kind that has no IDX files).
    public var all: [String] { [trainImages, trainLabels, testImages, testLabels].filter { !$0.isEmpty } }
}

/// A dataset's official training and test sets, and the directory they came from (kept for
/// run records, so a result can be traced back to its files).
public struct DatasetSplits: Sendable {
    public var kind: DatasetKind
    public var train: ImageDataset
    public var test: ImageDataset
    public var directory: String
    /// Which files were read and a one-line summary for the CLI (`sources?.summary`), set by
    /// the loaders; nil for splits built by hand.
    public var sources: DatasetSources?

    public init(kind: DatasetKind, train: ImageDataset, test: ImageDataset, directory: String,
                sources: DatasetSources? = nil) {
        self.kind = kind
        self.train = train
        self.test = test
        self.directory = directory
        self.sources = sources
    }
}

/// Loads the training and test sets of an IDX dataset from `directory`.
///
/// Checks beyond the IDX format itself: image shape matches the dataset, image and label
/// counts agree, and every label is below the class count. Each error names the file.
/// CIFAR kinds are refused with a pointer to `loadDataset(kind:directory:)`.
public func loadIDXDataset(kind: DatasetKind, directory: String) throws -> DatasetSplits {
    guard kind.format == .idx else {
        throw DataError(path: directory, message: "\(kind.displayName) is stored as CIFAR binary batches, not IDX files; load it with loadDataset(kind:directory:)")
    }
    switch FileSystem.kind(of: directory) {
    case .directory: break
    case .missing:
        throw DataError(path: directory, message: "no such directory; expected a directory holding the \(kind.displayName) IDX files")
    default:
        throw DataError(path: directory, message: "is not a directory; expected a directory holding the \(kind.displayName) IDX files")
    }
    let files = kind.files
    let (train, trainFiles) = try loadIDXSplit(kind: kind, directory: directory, split: "train",
                                               images: files.trainImages, labels: files.trainLabels)
    let (test, testFiles) = try loadIDXSplit(kind: kind, directory: directory, split: "test",
                                             images: files.testImages, labels: files.testLabels)
    let summary = "\(kind.displayName): \(grouped(train.count)) training images (\(trainFiles.map(baseName).joined(separator: ", "))), \(grouped(test.count)) test images (\(testFiles.map(baseName).joined(separator: ", ")))"
    let sources = DatasetSources(trainFiles: trainFiles, testFiles: testFiles, trainBatches: [],
                                 trainBatchCounts: [], missingTrainBatches: [], classNamesFile: nil,
                                 label: nil, summary: summary)
    return DatasetSplits(kind: kind, train: train, test: test, directory: directory, sources: sources)
}

func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

private func loadIDXSplit(kind: DatasetKind, directory: String, split: String,
                          images imageName: String, labels labelName: String) throws -> (ImageDataset, [String]) {
    let (imagePath, images, imagesCompressed) = try IDXFile.loadImages(at: joinPath(directory, imageName))
    let shape = kind.imageShape
    guard images.rows == shape.height else {
        throw DataError(path: imagePath, field: "dimension 1 (rows)", offset: 8,
                        offsetIsInDecompressedData: imagesCompressed,
                        message: "expected \(shape.height) rows for \(kind.displayName), found \(images.rows)")
    }
    guard images.cols == shape.width else {
        throw DataError(path: imagePath, field: "dimension 2 (cols)", offset: 12,
                        offsetIsInDecompressedData: imagesCompressed,
                        message: "expected \(shape.width) columns for \(kind.displayName), found \(images.cols)")
    }
    let (labelPath, rawLabels, labelsCompressed) = try IDXFile.loadLabels(at: joinPath(directory, labelName))
    guard rawLabels.count == images.count else {
        throw DataError(path: labelPath, field: "dimension 0 (count)", offset: 4,
                        offsetIsInDecompressedData: labelsCompressed,
                        message: "expected \(images.count) labels to match the \(images.count) images in \(imagePath), found \(rawLabels.count)")
    }
    let classCount = kind.classCount
    var labels = [Int](repeating: 0, count: rawLabels.count)
    for (i, raw) in rawLabels.enumerated() {
        guard Int(raw) < classCount else {
            throw DataError(path: labelPath, field: "label[\(i)]", offset: 8 + i,
                            offsetIsInDecompressedData: labelsCompressed,
                            message: "expected a label in 0..<\(classCount) for \(kind.displayName), found \(raw) at index \(i)")
        }
        labels[i] = Int(raw)
    }
    let dataset = ImageDataset(name: "\(kind.rawValue)/\(split)", channels: shape.channels,
                               height: shape.height, width: shape.width, pixels: images.pixels,
                               labels: labels, classNames: kind.classNames)
    return (dataset, [imagePath, labelPath])
}
