/// A user's own dataset: a reader (named, or guessed from the path) and a path, with the
/// options every reader takes (`ReadRequest`). `load()` reads it and applies the held-out
/// splits the data does not store itself.
public struct UserDataset: Sendable, Equatable {
    /// A reader's format name; nil to guess it from the path (`DatasetReaders.guess`).
    public var format: String?
    public var path: String
    public var name: String?
    /// Resize every image to height x width (both or neither).
    public var height: Int?
    public var width: Int?
    /// 1 (grey) or 3 (RGB); nil keeps what the files hold.
    public var channels: Int?
    public var testFraction: Double?
    public var validationFraction: Double?
    public var splitSeed: UInt64

    public init(format: String? = nil, path: String, name: String? = nil, height: Int? = nil,
                width: Int? = nil, channels: Int? = nil, testFraction: Double? = nil,
                validationFraction: Double? = nil, splitSeed: UInt64 = 0) {
        self.format = format; self.path = path; self.name = name; self.height = height
        self.width = width; self.channels = channels; self.testFraction = testFraction
        self.validationFraction = validationFraction; self.splitSeed = splitSeed
    }

    /// The file or folder name without a known extension (`chestmnist.npz` -> `chestmnist`).
    public static func defaultName(_ path: String) -> String {
        var name = baseName(path.hasSuffix("/") ? String(path.dropLast()) : path)
        for ext in [".npz", ".csv"] where name.lowercased().hasSuffix(ext) { name = String(name.dropLast(ext.count)) }
        return name.isEmpty ? "data" : name
    }

    /// The reader: the named one, or the one that recognises the path.
    public func reader() throws -> any DatasetReader {
        if let format {
            guard let reader = DatasetReaders.named(format) else {
                throw DataError(path: path, field: "format", message: "unknown format '\(format)'; expected one of \(DatasetReaders.names.joined(separator: ", "))")
            }
            if let problem = reader.locationProblem(at: path, fileExists: DataLocation.regularFileExists,
                                                    isDirectory: DataLocation.directoryExists) {
                throw DataError(path: path, message: "does not hold \(format) data: \(problem); expected \(reader.requirement)")
            }
            return reader
        }
        return try DatasetReaders.guess(path)
    }

    /// Checks the options on their own, before any file is read.
    public func validate() throws {
        if (height == nil) != (width == nil) {
            throw DataError(path: path, field: "size", message: "give both height and width, or neither")
        }
        if let h = height, let w = width, !(h >= 1 && w >= 1 && h <= 4096 && w <= 4096) {
            throw DataError(path: path, field: "size", message: "size must be 1 ... 4096 pixels each way, got \(h) x \(w)")
        }
        if let c = channels, c != 1 && c != 3 {
            throw DataError(path: path, field: "channels", message: "channels must be 1 or 3, got \(c)")
        }
        for (name, f) in [("testFraction", testFraction), ("validationFraction", validationFraction)] {
            if let f, !(f > 0 && f < 1) {
                throw DataError(path: path, field: name, message: "\(name) must lie strictly between 0 and 1, got \(f)")
            }
        }
    }

    public func load() throws -> DatasetSplits {
        try validate()
        let conversion = ImageConversion(height: height, width: width, channels: channels)
        let request = ReadRequest(path: path, conversion: conversion.isIdentity ? nil : conversion,
                                  name: name, testFraction: testFraction,
                                  validationFraction: validationFraction, splitSeed: splitSeed)
        let reader = try reader()
        var (splits, digests) = try DataDigests.recording { try reader.read(request) }
        splits.sources?.digests = digests
        return splits
    }
}

/// The splits a user reader found, made complete and described: a test set held out of
/// the training images when the data has none (`request.testFraction` required then,
/// refused otherwise), and a validation set held out of the training set when asked
/// (refused when the data stores one). Shared by the readers of user formats so every
/// format treats splits, summaries and sources alike. `storedWhere` says how the data
/// stores its splits, `source` what was read (for the summary).
func userSplits(train: ImageDataset?, test: ImageDataset?, validation: ImageDataset?,
                request: ReadRequest, storedWhere: String, source: String,
                trainFiles: [String], testFiles: [String]) throws -> DatasetSplits {
    guard var training = train, training.count > 0 else {
        throw DataError(path: request.path, message: "no training images (\(storedWhere))")
    }
    var testing: ImageDataset
    if let test {
        if request.testFraction != nil {
            throw DataError(path: request.path, field: "testFraction", message: "the data has its own test split (\(test.count) images); a test fraction does not apply")
        }
        guard test.count > 0 else { throw DataError(path: request.path, message: "the test split is empty") }
        testing = test
    } else {
        guard let f = request.testFraction else {
            throw DataError(path: request.path, message: "the data has no test split (\(storedWhere)); give a test fraction (--test-fraction, config dataset.testFraction) to hold out a stratified test set")
        }
        (training, testing) = try StratifiedSplit.split(training, fraction: f, what: "test", path: request.path,
                                                        seed: request.splitSeed, keptName: "\(request.name)/train",
                                                        heldName: "\(request.name)/test")
    }
    var validating = validation
    if let f = request.validationFraction {
        if let validation {
            throw DataError(path: request.path, field: "validationFraction", message: "the data has its own validation split (\(validation.count) images); a validation fraction does not apply")
        }
        let (kept, held) = try StratifiedSplit.split(training, fraction: f, what: "validation", path: request.path,
                                                     seed: request.splitSeed, keptName: "\(request.name)/train",
                                                     heldName: "\(request.name)/validation")
        training = kept
        validating = held
    }
    var summary = "\(request.name): \(grouped(training.count)) training, \(grouped(testing.count)) test"
    if let validating { summary += ", \(grouped(validating.count)) validation" }
    summary += " images of \(training.channels) x \(training.height) x \(training.width), \(training.classCount) classes (\(source), \(storedWhere))"
    return DatasetSplits(kind: nil, name: request.name, train: training, test: testing, validation: validating,
                         directory: request.path,
                         sources: .user(train: trainFiles, test: testFiles, summary: summary))
}

/// Gathers decoded images into one `ImageDataset`, converting each as it arrives and
/// checking that all share one shape (the first image's, when no size is given).
struct ImageSetBuilder {
    let name: String
    let conversion: ImageConversion?
    var pixels: [UInt8] = []
    var labels: [Int] = []
    var shape: (channels: Int, height: Int, width: Int)?
    var firstPath = ""

    init(name: String, conversion: ImageConversion?) {
        self.name = name
        self.conversion = conversion
    }

    mutating func add(_ image: DecodedImage, label: Int, path: String) throws {
        let c = (conversion ?? ImageConversion()).planes(image)
        if let shape {
            guard shape == (c.channels, c.height, c.width) else {
                let sizeHint = conversion?.height == nil ? " (give a size, --size H W / dataset.size, to resize every image)" : ""
                let channelHint = conversion?.channels == nil ? " (give channels, --channels 1|3 / dataset.channels, to convert)" : ""
                throw DataError(path: path, message: "image is \(c.width) x \(c.height) with \(c.channels) channel(s); the first image, \(firstPath), is \(shape.width) x \(shape.height) with \(shape.channels)\(shape.channels != c.channels ? channelHint : sizeHint)")
            }
        } else {
            shape = (c.channels, c.height, c.width)
            firstPath = path
        }
        pixels += c.pixels
        labels.append(label)
    }

    func build(classNames: [String]) -> ImageDataset? {
        guard let shape else { return nil }
        return ImageDataset(name: name, channels: shape.channels, height: shape.height, width: shape.width,
                            pixels: pixels, labels: labels, classNames: classNames)
    }
}

/// Bytewise comparison of UTF-8 strings (Swift's `<` compares by Unicode canonical
/// ordering, which can differ), so canonical orders are the same on every platform.
func utf8Less(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
