/// What a loader read, so a command can say it (`summary`) and a record can trace it.
public struct DatasetSources: Equatable, Sendable {
    /// Files read for the training set, in order. Archive members appear as
    /// `archive-path:member-name`.
    public var trainFiles: [String]
    /// Files read for the test set.
    public var testFiles: [String]
    /// CIFAR: the training batches read, in order (e.g. `["data_batch_1"]`); empty for IDX.
    public var trainBatches: [String]
    /// CIFAR: images read from each of `trainBatches`.
    public var trainBatchCounts: [Int]
    /// CIFAR: the official training batches that were not present (empty when all were).
    public var missingTrainBatches: [String]
    /// Where the class names came from; nil when the built-in official list was used.
    public var classNamesFile: String?
    /// CIFAR-100: which label the sets use; nil for datasets with one label.
    public var label: CIFARLabel?
    /// SHA-256 of every data file parsed, in the order read (filled by `loadDataset`).
    public var digests: [DataFileDigest] = []
    /// One line for the command line, e.g. "CIFAR-10: 10,000 training images from 1 of 5
    /// training batches (data_batch_1; not present: data_batch_2, ...), 10,000 test images
    /// from test_batch; class names from batches.meta.txt".
    public var summary: String

    public init(trainFiles: [String], testFiles: [String], trainBatches: [String],
                trainBatchCounts: [Int], missingTrainBatches: [String], classNamesFile: String?,
                label: CIFARLabel?, summary: String) {
        self.trainFiles = trainFiles
        self.testFiles = testFiles
        self.trainBatches = trainBatches
        self.trainBatchCounts = trainBatchCounts
        self.missingTrainBatches = missingTrainBatches
        self.classNamesFile = classNamesFile
        self.label = label
        self.summary = summary
    }

    /// Sources of a user's dataset: the files of each split.
    static func user(train: [String], test: [String], summary: String) -> DatasetSources {
        DatasetSources(trainFiles: train, testFiles: test, trainBatches: [], trainBatchCounts: [],
                       missingTrainBatches: [], classNamesFile: nil, label: nil, summary: summary)
    }
}

/// Loads a built-in dataset from `directory` (as found by `DataLocation.resolve`) with the
/// dataset's reader (`kind.reader`: IDX files, CIFAR binary batches or the official
/// archive, ILSVRC-2012's archives). `splits.sources?.summary` says what was read.
///
/// - Parameter cifarLabel: CIFAR-100's label (fine, 100 classes, by default; coarse, 20).
///   Asking a dataset with a single label for coarse labels is an error rather than
///   silently giving fine ones.
public func loadDataset(kind: DatasetKind, directory: String,
                        cifarLabel: CIFARLabel = .fine) throws -> DatasetSplits {
    var (splits, digests) = try DataDigests.recording {
        try kind.reader.read(ReadRequest(path: directory, kind: kind, label: cifarLabel))
    }
    splits.sources?.digests = digests
    return splits
}
