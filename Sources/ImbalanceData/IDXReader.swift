/// IDX datasets (LeCun's MNIST layout): a directory holding the four files
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
/// `t10k-labels-idx1-ubyte`, each optionally gzip-compressed (`name.gz`).
///
/// For a built-in dataset the image shape and label range are checked against it; for a
/// user's own IDX data (KMNIST, a private set written as IDX) the shape comes from the
/// files and the classes are 0 ... the largest label (named by their numbers). Images keep
/// the files' order.
public struct IDXReader: DatasetReader {
    public var files: IDXFileNames

    public init(files: IDXFileNames = .standard) { self.files = files }

    public var format: String { "idx" }
    public var summary: String { "LeCun's IDX files (MNIST layout): a directory with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz)" }
    public var requirement: String { files.all.joined(separator: ", ") + " (each optionally .gz)" }

    public func locationProblem(at path: String, fileExists: (String) -> Bool,
                                isDirectory: (String) -> Bool) -> String? {
        let missing = files.all.filter { name in
            let file = joinPath(path, name)
            return !fileExists(file) && !fileExists(file + ".gz")
        }
        if missing.isEmpty { return nil }
        return missing.count == files.all.count
            ? "none of the IDX files (\(requirement))"
            : "missing " + missing.map { "\($0)[.gz]" }.joined(separator: ", ")
    }

    public func read(_ request: ReadRequest) throws -> DatasetSplits {
        let directory = request.path
        let what = request.kind.map { "the \($0.displayName) IDX files" } ?? "IDX files"
        guard request.label == .fine else {
            throw DataError(path: directory, field: "label choice", message: "\(request.kind?.displayName ?? "an IDX dataset") has a single label per image; coarse labels exist only in CIFAR-100")
        }
        switch FileSystem.kind(of: directory) {
        case .directory: break
        case .missing:
            throw DataError(path: directory, message: "no such directory; expected a directory holding \(what)")
        default:
            throw DataError(path: directory, message: "is not a directory; expected a directory holding \(what)")
        }
        let train = try loadSplit(request, images: files.trainImages, labels: files.trainLabels)
        let test = try loadSplit(request, images: files.testImages, labels: files.testLabels)
        let display = request.kind?.displayName ?? request.name
        // A user's classes: 0 ... the largest label of either split.
        let classNames: [String]
        if let kind = request.kind {
            classNames = kind.classNames
        } else {
            let top = max(train.labels.max() ?? 0, test.labels.max() ?? 0)
            classNames = (0...top).map(String.init)
        }
        func dataset(_ split: String, _ part: (pixels: [UInt8], labels: [Int], rows: Int, cols: Int, files: [String])) throws -> ImageDataset {
            let raw = ImageDataset(name: "\(request.name)/\(split)", channels: 1, height: part.rows, width: part.cols,
                                   pixels: part.pixels, labels: part.labels, classNames: classNames)
            return try request.conversion.map { try $0.apply(raw) } ?? raw
        }
        let trainSet = try dataset("train", train), testSet = try dataset("test", test)
        let summary = "\(display): \(grouped(trainSet.count)) training images (\(train.files.map(baseName).joined(separator: ", "))), \(grouped(testSet.count)) test images (\(test.files.map(baseName).joined(separator: ", ")))"
        let sources = DatasetSources(trainFiles: train.files, testFiles: test.files, trainBatches: [],
                                     trainBatchCounts: [], missingTrainBatches: [], classNamesFile: nil,
                                     label: nil, summary: summary)
        return DatasetSplits(kind: request.kind, name: request.name, train: trainSet, test: testSet,
                             directory: directory, sources: sources)
    }

    private func loadSplit(_ request: ReadRequest, images imageName: String, labels labelName: String)
        throws -> (pixels: [UInt8], labels: [Int], rows: Int, cols: Int, files: [String]) {
        let directory = request.path
        let (imagePath, images, imagesCompressed) = try IDXFile.loadImages(at: joinPath(directory, imageName))
        if let kind = request.kind {
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
        }
        let (labelPath, rawLabels, labelsCompressed) = try IDXFile.loadLabels(at: joinPath(directory, labelName))
        guard rawLabels.count == images.count else {
            throw DataError(path: labelPath, field: "dimension 0 (count)", offset: 4,
                            offsetIsInDecompressedData: labelsCompressed,
                            message: "expected \(images.count) labels to match the \(images.count) images in \(imagePath), found \(rawLabels.count)")
        }
        let classCount = request.kind?.classCount ?? 256
        var labels = [Int](repeating: 0, count: rawLabels.count)
        for (i, raw) in rawLabels.enumerated() {
            guard Int(raw) < classCount else {
                throw DataError(path: labelPath, field: "label[\(i)]", offset: 8 + i,
                                offsetIsInDecompressedData: labelsCompressed,
                                message: "expected a label in 0..<\(classCount) for \(request.kind!.displayName), found \(raw) at index \(i)")
            }
            labels[i] = Int(raw)
        }
        return (images.pixels, labels, images.rows, images.cols, [imagePath, labelPath])
    }
}
