/// ILSVRC-2012 (ImageNet) in its official layout, read in place: a directory holding
/// - `ILSVRC2012_img_train.tar`: one tar per class, `WNID.tar` (e.g. `n01440764.tar`),
///   each holding that class's JPEGs;
/// - `ILSVRC2012_img_val.tar`: the validation JPEGs `ILSVRC2012_val_00000001.JPEG`, ...;
/// - `ILSVRC2012_devkit_t12.tar.gz`: the development kit, whose
///   `data/ILSVRC2012_validation_ground_truth.txt` gives each validation image's
///   ILSVRC2012_ID (line k for image k) and whose `data/meta.mat` maps those ids to WNIDs.
///
/// Classes are the training archive's WNIDs sorted bytewise (Caffe's and torchvision's
/// label order), named by WNID. The archives are indexed by walking their tar headers
/// (`TarParser` over `pread`), never read whole: the training archive is 138 GB. Images
/// stay compressed in place and are decoded as batches need them (`StreamedImages`), as
/// RGB with the shorter side resized to 256 (area averaging; bilinear for the few images
/// smaller than that); the input pipeline takes random 224 crops with mirroring in
/// training and the centre crop in testing. The test set is the validation set (50 images
/// per class: the protocol's test set).
///
/// Canonical order: training images sorted by file name (`WNID_NUMBER.JPEG`, so by class),
/// validation images by number. Checks: every member name has the official form, class
/// tars hold only JPEG files and at least one, validation images are numbered 1 ... N
/// without gaps, the ground truth has N lines of ids 1 ... 1000, and every id maps to a
/// training class.
public struct ILSVRC2012Reader: DatasetReader {
    public init() {}

    public static let trainArchive = "ILSVRC2012_img_train.tar"
    public static let validationArchive = "ILSVRC2012_img_val.tar"
    public static let devkit = "ILSVRC2012_devkit_t12.tar.gz"
    public static let groundTruth = "ILSVRC2012_validation_ground_truth.txt"
    /// Decoded images are resized so that their shorter side is this long.
    public static let shorterSide = 256
    public static let cropSize = 224

    public var format: String { "ilsvrc2012" }
    public var summary: String { "ILSVRC-2012 in the official layout: \(Self.trainArchive), \(Self.validationArchive), \(Self.devkit) in one directory, read in place" }
    public var requirement: String { "\(Self.trainArchive), \(Self.validationArchive) and \(Self.devkit)" }

    public func locationProblem(at path: String, fileExists: (String) -> Bool,
                                isDirectory: (String) -> Bool) -> String? {
        let missing = [Self.trainArchive, Self.validationArchive, Self.devkit].filter { !fileExists(joinPath(path, $0)) }
        if missing.isEmpty { return nil }
        return missing.count == 3 ? "none of the ILSVRC-2012 archives (\(requirement))" : "missing " + missing.joined(separator: ", ")
    }

    static func isWNID<S: StringProtocol>(_ s: S) -> Bool {
        s.count == 9 && s.first == "n" && s.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }

    public func read(_ request: ReadRequest) throws -> DatasetSplits {
        let dir = request.path
        if let problem = locationProblem(at: dir, fileExists: DataLocation.regularFileExists,
                                         isDirectory: DataLocation.directoryExists) {
            throw DataError(path: dir, message: "\(problem); expected \(requirement)")
        }
        guard request.label == .fine else {
            throw DataError(path: dir, field: "label choice", message: "ILSVRC-2012 has a single label per image; coarse labels exist only in CIFAR-100")
        }
        // Training archive: class tars, each walked in place.
        let trainFile = try RandomAccessFile(path: joinPath(dir, Self.trainArchive))
        var classTars: [(wnid: String, entry: TarEntry)] = []
        try TarParser(total: trainFile.size, path: trainFile.path, read: trainFile.read).walk { e in
            guard e.name.hasSuffix(".tar"), Self.isWNID(e.name.dropLast(4)) else {
                throw DataError(path: trainFile.path, field: "member \(e.name)", offset: e.headerOffset,
                                message: "expected only per-class archives named WNID.tar (e.g. n01440764.tar)")
            }
            classTars.append((String(e.name.dropLast(4)), e))
        }
        classTars.sort { utf8Less($0.wnid, $1.wnid) }
        for (a, b) in zip(classTars, classTars.dropFirst()) where a.wnid == b.wnid {
            throw DataError(path: trainFile.path, field: "member \(b.wnid).tar", message: "class archive listed twice")
        }
        guard !classTars.isEmpty else { throw DataError(path: trainFile.path, message: "holds no class archives") }
        let classNames = classTars.map(\.wnid)
        var trainEntries: [(offset: Int, size: Int, name: String)] = []
        var trainLabels: [Int] = []
        for (label, c) in classTars.enumerated() {
            let inner = "\(trainFile.path):\(c.entry.name)"
            var images: [(offset: Int, size: Int, name: String)] = []
            try TarParser(total: c.entry.size, path: inner, read: { try trainFile.read(at: c.entry.dataOffset + $0, count: $1) })
                .walk { e in
                    guard e.name.hasPrefix(c.wnid + "_"), e.name.lowercased().hasSuffix(".jpeg") else {
                        throw DataError(path: inner, field: "member \(e.name)", offset: e.headerOffset,
                                        message: "expected only JPEGs named \(c.wnid)_NUMBER.JPEG")
                    }
                    images.append((c.entry.dataOffset + e.dataOffset, e.size, "\(c.entry.name):\(e.name)"))
                }
            guard !images.isEmpty else { throw DataError(path: inner, message: "class archive holds no images") }
            images.sort { utf8Less($0.name, $1.name) }
            trainEntries += images
            trainLabels += Array(repeating: label, count: images.count)
        }
        // Ground truth from the devkit: validation image k -> ILSVRC2012_ID -> WNID -> label.
        let devkitPath = joinPath(dir, Self.devkit)
        let devkit = try TarArchive.read(at: devkitPath)
        func member(_ base: String) throws -> TarEntry {
            let found = devkit.entries(withBaseName: base)
            guard found.count == 1 else {
                throw DataError(path: devkitPath, message: found.isEmpty ? "no \(base) in the devkit" : "\(found.count) files named \(base) in the devkit; expected one")
            }
            return found[0]
        }
        let truthEntry = try member(Self.groundTruth), metaEntry = try member("meta.mat")
        let truthSource = "\(devkitPath):\(truthEntry.name)", metaSource = "\(devkitPath):\(metaEntry.name)"
        let ids = try Self.parseGroundTruth(Array(devkit.content(of: truthEntry)), path: truthSource)
        let idToWNID = try Self.parseMeta(Array(devkit.content(of: metaEntry)), path: metaSource)
        let labelOf = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        // Validation archive: ILSVRC2012_val_%08d.JPEG, numbered 1 ... N.
        let valFile = try RandomAccessFile(path: joinPath(dir, Self.validationArchive))
        var valImages: [(number: Int, entry: TarEntry)] = []
        try TarParser(total: valFile.size, path: valFile.path, read: valFile.read).walk { e in
            let prefix = "ILSVRC2012_val_", suffix = ".JPEG"
            guard e.name.hasPrefix(prefix), e.name.hasSuffix(suffix),
                  let n = Int(e.name.dropFirst(prefix.count).dropLast(suffix.count)), n >= 1,
                  e.name.count == prefix.count + 8 + suffix.count else {
                throw DataError(path: valFile.path, field: "member \(e.name)", offset: e.headerOffset,
                                message: "expected only validation images named ILSVRC2012_val_NNNNNNNN.JPEG")
            }
            valImages.append((n, e))
        }
        valImages.sort { $0.number < $1.number }
        for (k, v) in valImages.enumerated() where v.number != k + 1 {
            throw DataError(path: valFile.path, field: "member \(v.entry.name)", message: "validation images must be numbered 1 ... N without gaps or repeats; found \(v.number) where \(k + 1) belongs")
        }
        guard valImages.count == ids.count else {
            throw DataError(path: truthSource, message: "\(ids.count) ground-truth lines for \(valImages.count) validation images in \(valFile.path)")
        }
        var testLabels: [Int] = []
        for (k, id) in ids.enumerated() {
            guard let wnid = idToWNID[id] else {
                throw DataError(path: truthSource, field: "line \(k + 1)", message: "ILSVRC2012_ID \(id) is not in \(metaSource)")
            }
            guard let y = labelOf[wnid] else {
                throw DataError(path: truthSource, field: "line \(k + 1)", message: "ILSVRC2012_ID \(id) is \(wnid), which has no class archive in \(trainFile.path)")
            }
            testLabels.append(y)
        }
        let conversion = ImageConversion(shorterSide: Self.shorterSide, channels: 3)
        let train = StreamedImages(name: "\(request.name)/train", file: trainFile, entries: trainEntries,
                                   labels: trainLabels, classNames: classNames, conversion: conversion)
        let test = StreamedImages(name: "\(request.name)/test", file: valFile,
                                  entries: valImages.map { ($0.entry.dataOffset, $0.entry.size, $0.entry.name) },
                                  labels: testLabels, classNames: classNames, conversion: conversion)
        let empty = { (split: String) in
            ImageDataset(name: "\(request.name)/\(split)", channels: 3, height: Self.cropSize, width: Self.cropSize,
                         pixels: [], labels: [], classNames: classNames)
        }
        let summary = "ILSVRC-2012: \(grouped(train.count)) training images in \(classNames.count) classes (\(Self.trainArchive)), \(grouped(test.count)) test images (\(Self.validationArchive), labels from \(Self.devkit)); decoded per batch, shorter side \(Self.shorterSide), \(Self.cropSize) x \(Self.cropSize) crops"
        let sources = DatasetSources(trainFiles: [trainFile.path], testFiles: [valFile.path, devkitPath],
                                     trainBatches: [], trainBatchCounts: [], missingTrainBatches: [],
                                     classNamesFile: nil, label: nil, summary: summary)
        var splits = DatasetSplits(kind: request.kind, name: request.name, train: empty("train"), test: empty("test"),
                                   directory: dir, sources: sources)
        splits.streamed = StreamedSplits(train: train, test: test, cropSize: Self.cropSize)
        return splits
    }

    /// One ILSVRC2012_ID (1 ... 1000) per line.
    static func parseGroundTruth(_ bytes: [UInt8], path: String) throws -> [Int] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return try lines.enumerated().map { k, line in
            let text = String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
            guard let id = Int(text.trimmingSpaces), id >= 1, id <= 1000 else {
                throw DataError(path: path, field: "line \(k + 1)", message: "expected an ILSVRC2012_ID in 1 ... 1000, found '\(text)'")
            }
            return id
        }
    }

    /// The devkit's `synsets` struct array: ILSVRC2012_ID -> WNID for ids 1 ... 1000.
    static func parseMeta(_ bytes: [UInt8], path: String) throws -> [Int: String] {
        let vars = try MATFile.parse(bytes, path: path)
        guard case .structure(_, let fields, let elements)? = vars["synsets"] else {
            throw DataError(path: path, message: "no struct array 'synsets'; expected the devkit's meta.mat")
        }
        guard let idField = fields.firstIndex(of: "ILSVRC2012_ID"), let wnidField = fields.firstIndex(of: "WNID") else {
            throw DataError(path: path, message: "'synsets' has fields \(fields); expected ILSVRC2012_ID and WNID")
        }
        var out: [Int: String] = [:]
        for (i, e) in elements.enumerated() {
            guard let id = e[idField].scalar, id == id.rounded(), id >= 1, let wnid = e[wnidField].string, isWNID(wnid) else {
                throw DataError(path: path, field: "synsets(\(i + 1))", message: "expected a numeric ILSVRC2012_ID and a WNID like n01440764")
            }
            guard id <= 1000 else { continue }   // ids above 1000 are the hierarchy's inner nodes
            if let other = out[Int(id)], other != wnid {
                throw DataError(path: path, field: "synsets(\(i + 1))", message: "ILSVRC2012_ID \(Int(id)) is both \(other) and \(wnid)")
            }
            out[Int(id)] = wnid
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
