#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which label of a CIFAR-100 record to train on. CIFAR-100 records carry a coarse label
/// (20 superclasses) and a fine label (100 classes); CIFAR-10 records carry one label, which
/// counts as `fine`.
public enum CIFARLabel: String, CaseIterable, Codable, Sendable {
    /// The 100 classes (CIFAR-100's usual benchmark), or CIFAR-10's only label. Default.
    case fine
    /// CIFAR-100's 20 superclasses.
    case coarse

    /// How a job config records the label: nil for the default `fine`, so configs (and run
    /// ids) of every single-label or fine-label job stay as they were before labels existed.
    public var recordedName: String? { self == .fine ? nil : rawValue }

    /// The label a job config recorded (`recordedName`); nil when the name is unknown.
    public init?(recordedName: String?) { self.init(rawValue: recordedName ?? CIFARLabel.fine.rawValue) }
}

/// The official class-name lists, used when a directory or archive has no meta file. They
/// are the contents of `batches.meta.txt` (CIFAR-10) and `fine_label_names.txt` /
/// `coarse_label_names.txt` (CIFAR-100) of the official binary releases.
public enum CIFARClassNames {
    public static let cifar10 = ["airplane", "automobile", "bird", "cat", "deer",
                                 "dog", "frog", "horse", "ship", "truck"]

    public static let cifar100Coarse = [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
        "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
        "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
        "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
        "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
    ]

    public static let cifar100Fine = [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
        "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
        "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
        "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest",
        "fox", "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower",
        "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear",
        "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine", "possum", "rabbit",
        "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk",
        "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar", "sunflower",
        "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor", "train",
        "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ]
}

/// The file names and record format of a CIFAR binary release.
///
/// Each batch may be stored as `name.bin` or `name.bin.gz` (gzip is recognised by content,
/// as for IDX). A directory may instead hold the official archive, which is read in
/// process; its members sit under `archiveFolder/`.
public struct CIFARLayout: Equatable, Sendable {
    public var displayName: String
    /// Training batches in the official order: `data_batch_1` ... `data_batch_5` for
    /// CIFAR-10, `train` for CIFAR-100. Any non-empty subset may be present.
    public var trainBatches: [String]
    /// The test batch (`test_batch` / `test`); always required.
    public var testBatch: String
    /// The official archive (`cifar-10-binary.tar.gz` / `cifar-100-binary.tar.gz`).
    public var archive: String
    /// The folder the official archive puts its files in.
    public var archiveFolder: String
    /// Label bytes before the 3,072 pixel bytes of each record (1, or 2 for coarse + fine).
    public var labelBytes: Int
    /// Class-name file for the fine (CIFAR-10: only) label.
    public var fineMeta: String
    /// Class-name file for the coarse label, CIFAR-100 only.
    public var coarseMeta: String?
    public var fineClassNames: [String]
    public var coarseClassNames: [String]?

    /// Suffixes a batch file may carry, in the order they are tried.
    public static let batchSuffixes = [".bin", ".bin.gz"]

    /// Bytes per record: the label byte(s) then the image.
    public var recordSize: Int { labelBytes + CIFARFile.imageBytes }

    public static let cifar10 = CIFARLayout(
        displayName: "CIFAR-10", trainBatches: (1...5).map { "data_batch_\($0)" },
        testBatch: "test_batch", archive: "cifar-10-binary.tar.gz",
        archiveFolder: "cifar-10-batches-bin", labelBytes: 1, fineMeta: "batches.meta.txt",
        coarseMeta: nil, fineClassNames: CIFARClassNames.cifar10, coarseClassNames: nil)

    public static let cifar100 = CIFARLayout(
        displayName: "CIFAR-100", trainBatches: ["train"], testBatch: "test",
        archive: "cifar-100-binary.tar.gz", archiveFolder: "cifar-100-binary", labelBytes: 2,
        fineMeta: "fine_label_names.txt", coarseMeta: "coarse_label_names.txt",
        fineClassNames: CIFARClassNames.cifar100Fine, coarseClassNames: CIFARClassNames.cifar100Coarse)

    /// The official class names for `label`, or nil when the layout has no such label.
    public func classNames(for label: CIFARLabel) -> [String]? {
        label == .fine ? fineClassNames : coarseClassNames
    }

    /// The meta file holding the names for `label`.
    public func metaFile(for label: CIFARLabel) -> String? {
        label == .fine ? fineMeta : coarseMeta
    }

    /// What a directory must hold, for messages.
    public var requirement: String {
        let train = trainBatches.count > 1
            ? "\(trainBatches[0])..\(trainBatches.count).bin (at least one)"
            : "\(trainBatches[0]).bin"
        return "\(train) and \(testBatch).bin (each optionally .gz), or \(archive)"
    }

    /// Why `directory` does not hold this dataset, or nil when it does: at least one
    /// training batch and the test batch (`.bin` or `.bin.gz`), or the official archive.
    /// This is the check of the data-location rule; the loader applies the same one.
    public func locationProblem(in directory: String, fileExists: (String) -> Bool) -> String? {
        if fileExists(joinPath(directory, archive)) { return nil }
        func present(_ batch: String) -> Bool {
            Self.batchSuffixes.contains { fileExists(joinPath(directory, batch + $0)) }
        }
        let train = trainBatches.filter(present)
        let test = present(testBatch)
        switch (train.isEmpty, test) {
        case (false, true): return nil
        case (true, false): return "none of the \(displayName) files (\(requirement))"
        case (false, false):
            return "missing \(testBatch).bin[.gz] (has \(train.joined(separator: ", ")); needs the test batch too, or \(archive))"
        case (true, true):
            return "missing a training batch (\(requirement))"
        }
    }
}

extension DatasetKind {
    /// The CIFAR layout of this kind, or nil for datasets in other formats.
    public var cifarLayout: CIFARLayout? { (reader as? CIFARReader)?.layout }

    /// Class names for a label choice: the coarse list for `.cifar100` with `.coarse`,
    /// `classNames` otherwise.
    public func classNames(label: CIFARLabel) -> [String] {
        cifarLayout?.classNames(for: label) ?? classNames
    }
}

/// CIFAR binary batches (`CIFARFile`), loose or in the official tar.gz archive, read by
/// `loadCIFARDataset`. A user's data in this format is read as CIFAR-10 records (1 label
/// byte, 10 classes, 32 x 32 x 3); records keep the batches' order.
public struct CIFARReader: DatasetReader {
    public var layout: CIFARLayout

    public init(layout: CIFARLayout) { self.layout = layout }

    public var format: String { "cifar-binary" }
    public var summary: String { "CIFAR binary batches (label byte(s) + 3,072 pixel bytes per record): data_batch_1..5.bin and test_batch.bin (each optionally .gz), or the official .tar.gz" }
    public var requirement: String { layout.requirement }

    public func locationProblem(at path: String, fileExists: (String) -> Bool,
                                isDirectory: (String) -> Bool) -> String? {
        layout.locationProblem(in: path, fileExists: fileExists)
    }

    public func read(_ request: ReadRequest) throws -> DatasetSplits {
        let kind = request.kind ?? (layout == .cifar100 ? .cifar100 : .cifar10)
        var splits = try loadCIFARDataset(kind: kind, directory: request.path, label: request.label)
        if request.kind == nil {
            splits.kind = nil
            splits.name = request.name
        }
        if let conversion = request.conversion {
            splits.train = try conversion.apply(splits.train)
            splits.test = try conversion.apply(splits.test)
        }
        return splits
    }
}

/// The records of one CIFAR batch file.
public struct CIFARBatch: Equatable, Sendable {
    /// The chosen label of each record.
    public var labels: [Int]
    /// CHW bytes, image after image (`labels.count * 3072`): the record layout minus labels.
    public var pixels: [UInt8]
    public var count: Int { labels.count }
}

/// Reader for CIFAR binary batch files (plain or gzip), strict as the IDX reader is.
///
/// A CIFAR-10 record is 1 label byte then 3,072 pixel bytes (the 32x32 red plane, then
/// green, then blue); a CIFAR-100 record has 2 label bytes (coarse, fine) then the pixels.
/// The format has no header, so the checks are: the content is not empty, its length is a
/// whole number of records, and every label byte is in range (both labels of a CIFAR-100
/// record, whichever is used). No size is ever taken from the data itself.
public enum CIFARFile {
    /// Pixel bytes per image: 3 planes of 32x32.
    public static let imageBytes = 3 * 32 * 32
    /// Meta (class-name) files larger than this are refused rather than read (the official
    /// ones are under 1 KB).
    public static let maxMetaBytes = 1 << 16

    /// Reads one batch file, gzip-compressed or not (recognised by content).
    public static func readBatch(at path: String, kind: DatasetKind,
                                 label: CIFARLabel = .fine) throws -> CIFARBatch {
        let layout = try layoutFor(kind, label: label, path: path)
        let (bytes, compressed) = try Gzip.readFile(at: path)
        return try parse(bytes, path: path, layout: layout, label: label, compressed: compressed)
    }

    /// Parses batch content already in memory (decompressed). `path` names the source in
    /// errors; `compressed` says whether offsets count decompressed bytes.
    public static func parse(_ bytes: [UInt8], path: String, kind: DatasetKind,
                             label: CIFARLabel = .fine, compressed: Bool = false) throws -> CIFARBatch {
        let layout = try layoutFor(kind, label: label, path: path)
        return try parse(bytes, path: path, layout: layout, label: label, compressed: compressed)
    }

    static func parse(_ bytes: [UInt8], path: String, layout: CIFARLayout, label: CIFARLabel,
                      compressed: Bool) throws -> CIFARBatch {
        var batch = CIFARBatch(labels: [], pixels: [])
        let source = CIFARSource(path: path, member: nil, baseOffset: 0, compressed: compressed)
        _ = try appendRecords(bytes[...], source: source, layout: layout, label: label,
                              pixels: &batch.pixels, labels: &batch.labels)
        return batch
    }

    static func layoutFor(_ kind: DatasetKind, label: CIFARLabel, path: String) throws -> CIFARLayout {
        guard let layout = kind.cifarLayout else {
            throw DataError(path: path, message: "\(kind.displayName) is not a CIFAR dataset; expected cifar10 or cifar100")
        }
        guard layout.classNames(for: label) != nil else {
            throw DataError(path: path, field: "label choice", message: "\(layout.displayName) records have a single label; coarse labels exist only in CIFAR-100 (use the fine label)")
        }
        return layout
    }

    /// Validates `data` as whole records and appends their chosen labels and pixels.
    /// Everything is checked before anything is appended, so a failure leaves the outputs
    /// as they were. Returns the number of records.
    static func appendRecords(_ data: ArraySlice<UInt8>, source: CIFARSource, layout: CIFARLayout,
                              label: CIFARLabel, pixels: inout [UInt8],
                              labels: inout [Int]) throws -> Int {
        let rs = layout.recordSize
        let what = "\(layout.displayName) records of \(grouped(rs)) bytes (\(layout.labelBytes == 1 ? "1 label byte" : "coarse and fine label bytes") + 3,072 pixel bytes)"
        guard !data.isEmpty else {
            throw source.fail(nil, nil, source.member != nil
                ? "archive member is empty (0 bytes); expected \(what)"
                : source.compressed ? "gzip content is empty; expected \(what)"
                : "file is empty (0 bytes); expected \(what)")
        }
        let count = data.count / rs
        let leftover = data.count % rs
        guard leftover == 0 else {
            let otherSize = layout.labelBytes == 1 ? 3_074 : 3_073
            let otherName = layout.labelBytes == 1 ? "CIFAR-100" : "CIFAR-10"
            let hint = data.count % otherSize == 0
                ? "; the size is a whole number of \(grouped(otherSize))-byte records: is this a \(otherName) file?"
                : " (truncated or not a \(layout.displayName) batch?)"
            throw source.fail("record \(count)", count * rs,
                              "size \(grouped(data.count)) bytes is not a multiple of the \(grouped(rs))-byte record size: \(grouped(count)) whole record(s) and \(grouped(leftover)) byte(s) left over; expected \(what)\(hint)")
        }
        let fineClasses = layout.fineClassNames.count
        let coarseClasses = layout.coarseClassNames?.count
        let chosenByte = layout.labelBytes == 2 && label == .fine ? 1 : 0
        try data.withUnsafeBufferPointer { buf in
            for r in 0..<count {
                let at = r * rs
                if let coarseClasses {
                    let coarse = Int(buf[at])
                    guard coarse < coarseClasses else {
                        throw source.fail("coarse label of record \(r)", at,
                                          "expected a coarse label in 0..<\(coarseClasses) for \(layout.displayName), found \(coarse) in record \(r)")
                    }
                    let fine = Int(buf[at + 1])
                    guard fine < fineClasses else {
                        throw source.fail("fine label of record \(r)", at + 1,
                                          "expected a fine label in 0..<\(fineClasses) for \(layout.displayName), found \(fine) in record \(r)")
                    }
                } else {
                    let value = Int(buf[at])
                    guard value < fineClasses else {
                        throw source.fail("label of record \(r)", at,
                                          "expected a label in 0..<\(fineClasses) for \(layout.displayName), found \(value) in record \(r)")
                    }
                }
            }
            pixels.reserveCapacity(pixels.count + count * imageBytes)
            labels.reserveCapacity(labels.count + count)
            for r in 0..<count {
                let at = r * rs
                labels.append(Int(buf[at + chosenByte]))
                pixels.append(contentsOf: UnsafeBufferPointer(rebasing: buf[(at + layout.labelBytes)..<(at + rs)]))
            }
        }
        return count
    }

    /// Parses a class-name file: one name per line, `\r` and surrounding spaces ignored,
    /// trailing empty lines allowed (the official files end with one); exactly `expected`
    /// names, none empty, valid UTF-8.
    static func parseClassNames(_ data: ArraySlice<UInt8>, source: CIFARSource,
                                expected: Int, what: String) throws -> [String] {
        let want = "\(expected) \(what) class names, one per line"
        guard !data.isEmpty else {
            throw source.fail(nil, nil, "\(source.member != nil ? "archive member" : "file") is empty; expected \(want)")
        }
        guard data.count <= maxMetaBytes else {
            throw source.fail(nil, nil, "\(grouped(data.count)) bytes is too large for a class-name file (limit \(grouped(maxMetaBytes))); expected \(want)")
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw source.fail(nil, nil, "not valid UTF-8 text; expected \(want)")
        }
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split on "\n".
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            let trimmed = line.drop(while: isBlank).reversed().drop(while: isBlank).reversed()
            return String(decoding: trimmed, as: UTF8.self)
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        if let empty = lines.firstIndex(where: { $0.isEmpty }) {
            throw source.fail("line \(empty + 1)", nil, "empty line among the class names; expected \(want)")
        }
        guard lines.count == expected else {
            throw source.fail(nil, nil, "found \(lines.count) class name(s); expected \(want)")
        }
        return lines
    }
}

/// Where bytes being parsed came from: a file, or a member of an archive file (then
/// `baseOffset` is where the member's content starts in the decompressed archive, so
/// offsets in errors point into the archive as `gunzip | xxd` shows it).
struct CIFARSource {
    var path: String
    var member: String?
    var baseOffset: Int
    var compressed: Bool

    func fail(_ field: String?, _ offset: Int?, _ message: String) -> DataError {
        var fullField = field
        if let member { fullField = field.map { "member \(member), \($0)" } ?? "member \(member)" }
        return DataError(path: path, field: fullField, offset: offset.map { $0 + baseOffset },
                         offsetIsInDecompressedData: compressed, message: message)
    }
}

/// Loads a CIFAR-10 or CIFAR-100 dataset from `directory`.
///
/// The directory holds loose batches (`data_batch_1..5.bin` and `test_batch.bin`, each
/// optionally `.gz`; for CIFAR-100 `train.bin` and `test.bin`), or the official archive
/// (`cifar-10-binary.tar.gz` / `cifar-100-binary.tar.gz`), read in process. Loose files win
/// when at least one training batch and the test batch are present; otherwise the archive
/// is read. Only some training batches may be present (the shared copy has batch 1): those
/// present are read in order, and `DatasetSplits.sources` says which (and which not).
/// Class names come from the meta file when present, else from the official lists.
///
/// - Parameter label: for CIFAR-100, the fine (100 classes, default) or coarse (20) label.
public func loadCIFARDataset(kind: DatasetKind, directory: String,
                             label: CIFARLabel = .fine) throws -> DatasetSplits {
    let layout = try CIFARFile.layoutFor(kind, label: label, path: directory)
    switch FileSystem.kind(of: directory) {
    case .directory: break
    case .missing:
        throw DataError(path: directory, message: "no such directory; expected a directory holding the \(layout.displayName) files (\(layout.requirement))")
    default:
        throw DataError(path: directory, message: "is not a directory; expected a directory holding the \(layout.displayName) files (\(layout.requirement))")
    }
    let metaName = layout.metaFile(for: label)!
    let expectedClasses = layout.classNames(for: label)!.count
    let metaWhat = label == .coarse ? "coarse" : layout.labelBytes == 2 ? "fine" : layout.displayName

    var train: [(batch: String, path: String)] = []
    for batch in layout.trainBatches {
        if let p = try batchFile(directory, batch, layout) { train.append((batch, p)) }
    }
    let test = try batchFile(directory, layout.testBatch, layout)
    let archivePath = joinPath(directory, layout.archive)
    let archiveKind = FileSystem.kind(of: archivePath)

    var reader = CIFARSplitReader(kind: kind, layout: layout, label: label)
    if let test, !train.isEmpty {
        for (batch, path) in train {
            let (bytes, compressed) = try Gzip.readFile(at: path)
            try reader.addTrain(bytes[...], batch: batch, file: path,
                                source: CIFARSource(path: path, member: nil, baseOffset: 0, compressed: compressed))
        }
        let (bytes, compressed) = try Gzip.readFile(at: test)
        try reader.setTest(bytes[...], file: test,
                           source: CIFARSource(path: test, member: nil, baseOffset: 0, compressed: compressed))
        let metaPath = joinPath(directory, metaName)
        switch FileSystem.kind(of: metaPath) {
        case .missing: break
        case .regularFile:
            let size = FileSystem.size(of: metaPath) ?? 0
            guard size <= CIFARFile.maxMetaBytes else {
                throw DataError(path: metaPath, message: "\(grouped(size)) bytes is too large for a class-name file (limit \(grouped(CIFARFile.maxMetaBytes))); expected \(expectedClasses) class names, one per line")
            }
            let bytes = try FileSystem.readAll(metaPath)
            reader.classNames = try CIFARFile.parseClassNames(
                bytes[...], source: CIFARSource(path: metaPath, member: nil, baseOffset: 0, compressed: false),
                expected: expectedClasses, what: metaWhat)
            reader.classNamesFile = metaPath
        case .directory:
            throw DataError(path: metaPath, message: "is a directory; expected a class-name file (\(expectedClasses) names, one per line)")
        case .other:
            throw DataError(path: metaPath, message: "is not a regular file; expected a class-name file")
        }
    } else {
        switch archiveKind {
        case .regularFile:
            break
        case .directory:
            throw DataError(path: archivePath, message: "is a directory; expected the official \(layout.displayName) archive (a .tar.gz file)")
        case .other:
            throw DataError(path: archivePath, message: "is not a regular file; expected the official \(layout.displayName) archive")
        case .missing:
            if train.isEmpty && test == nil {
                throw DataError(path: directory, message: "no \(layout.displayName) files here; expected \(layout.requirement)")
            }
            if test == nil {
                let tried = layout.testBatch + ".bin"
                throw DataError(path: joinPath(directory, tried), message: "no such file (also tried \(tried).gz and \(layout.archive)); expected the \(layout.displayName) test batch (training batches found: \(train.map(\.batch).joined(separator: ", ")))")
            }
            throw DataError(path: joinPath(directory, layout.trainBatches[0] + ".bin"), message: "no training batch (tried \(layout.trainBatches.map { $0 + ".bin[.gz]" }.joined(separator: ", ")) and \(layout.archive)); expected at least one besides the test batch")
        }
        let archive = try TarArchive.read(at: archivePath)
        reader.archive = archivePath
        func member(_ base: String) throws -> TarEntry? {
            let found = archive.entries(withBaseName: base)
            if found.count > 1 {
                if let official = found.first(where: { $0.name == layout.archiveFolder + "/" + base }) {
                    return official
                }
                throw DataError(path: archivePath, field: "member \(base)", message: "the archive holds \(found.count) files named \(base) (\(found.map(\.name).joined(separator: ", "))); expected one, at \(layout.archiveFolder)/\(base)")
            }
            return found.first
        }
        func source(_ e: TarEntry) -> CIFARSource {
            CIFARSource(path: archivePath, member: e.name, baseOffset: e.dataOffset, compressed: archive.wasCompressed)
        }
        for batch in layout.trainBatches {
            if let e = try member(batch + ".bin") {
                try reader.addTrain(archive.content(of: e), batch: batch,
                                    file: archivePath + ":" + e.name, source: source(e))
            }
        }
        let listing = archive.entries.prefix(8).map(\.name).joined(separator: ", ")
            + (archive.entries.count > 8 ? ", ..." : "")
        guard let testEntry = try member(layout.testBatch + ".bin") else {
            throw DataError(path: archivePath, field: "member \(layout.archiveFolder)/\(layout.testBatch).bin",
                            message: "the archive has no \(layout.testBatch).bin; expected \(layout.archiveFolder)/\(layout.testBatch).bin as in the official release (found \(archive.entries.isEmpty ? "no regular files" : listing))")
        }
        guard !reader.trainBatches.isEmpty else {
            throw DataError(path: archivePath, field: "member \(layout.archiveFolder)/\(layout.trainBatches[0]).bin",
                            message: "the archive has no training batch; expected \(layout.trainBatches.map { layout.archiveFolder + "/" + $0 + ".bin" }.joined(separator: ", ")) as in the official release (found \(listing))")
        }
        try reader.setTest(archive.content(of: testEntry), file: archivePath + ":" + testEntry.name,
                           source: source(testEntry))
        if let e = try member(metaName) {
            reader.classNames = try CIFARFile.parseClassNames(archive.content(of: e), source: source(e),
                                                              expected: expectedClasses, what: metaWhat)
            reader.classNamesFile = archivePath + ":" + e.name
        }
    }
    return reader.finish(directory: directory)
}

/// `directory/batch.bin` or `.bin.gz`, whichever exists first; nil when neither does. A
/// directory (or device) under either name is an error, not a fall-through.
private func batchFile(_ directory: String, _ batch: String, _ layout: CIFARLayout) throws -> String? {
    for suffix in CIFARLayout.batchSuffixes {
        let path = joinPath(directory, batch + suffix)
        switch FileSystem.kind(of: path) {
        case .regularFile: return path
        case .missing: continue
        case .directory:
            throw DataError(path: path, message: "is a directory; expected a \(layout.displayName) batch file (records of \(grouped(layout.recordSize)) bytes)")
        case .other:
            throw DataError(path: path, message: "is not a regular file; expected a \(layout.displayName) batch file")
        }
    }
    return nil
}

/// Accumulates batches into the training and test sets and describes what was read.
private struct CIFARSplitReader {
    let kind: DatasetKind
    let layout: CIFARLayout
    let label: CIFARLabel
    var trainPixels: [UInt8] = []
    var trainLabels: [Int] = []
    var testPixels: [UInt8] = []
    var testLabels: [Int] = []
    var trainBatches: [String] = []
    var trainBatchCounts: [Int] = []
    var trainFiles: [String] = []
    var testFile = ""
    var classNames: [String]?
    var classNamesFile: String?
    /// The archive the batches came from, when they did.
    var archive: String?

    init(kind: DatasetKind, layout: CIFARLayout, label: CIFARLabel) {
        self.kind = kind
        self.layout = layout
        self.label = label
    }

    mutating func addTrain(_ data: ArraySlice<UInt8>, batch: String, file: String, source: CIFARSource) throws {
        let n = try CIFARFile.appendRecords(data, source: source, layout: layout, label: label,
                                            pixels: &trainPixels, labels: &trainLabels)
        trainBatches.append(batch)
        trainBatchCounts.append(n)
        trainFiles.append(file)
    }

    mutating func setTest(_ data: ArraySlice<UInt8>, file: String, source: CIFARSource) throws {
        _ = try CIFARFile.appendRecords(data, source: source, layout: layout, label: label,
                                        pixels: &testPixels, labels: &testLabels)
        testFile = file
    }

    func finish(directory: String) -> DatasetSplits {
        let names = classNames ?? layout.classNames(for: label)!
        let prefix = label == .coarse ? "\(kind.rawValue)-coarse" : kind.rawValue
        func dataset(_ split: String, _ pixels: [UInt8], _ labels: [Int]) -> ImageDataset {
            ImageDataset(name: "\(prefix)/\(split)", channels: 3, height: 32, width: 32,
                         pixels: pixels, labels: labels, classNames: names)
        }
        let missing = layout.trainBatches.filter { !trainBatches.contains($0) }
        var summary = "\(layout.displayName)"
        if layout.labelBytes == 2 { summary += " (\(label.rawValue) labels, \(names.count) classes)" }
        summary += ": \(grouped(trainLabels.count)) training images from "
        if layout.trainBatches.count > 1 {
            summary += "\(trainBatches.count) of \(layout.trainBatches.count) training batches (\(trainBatches.joined(separator: ", "))"
            if !missing.isEmpty { summary += "; not present: \(missing.joined(separator: ", "))" }
            summary += ")"
        } else {
            summary += trainBatches.joined(separator: ", ")
        }
        summary += ", \(grouped(testLabels.count)) test images from \(layout.testBatch)"
        if let archive { summary += " (read from \(baseName(archive)))" }
        summary += "; class names from "
            + (classNamesFile.map { baseName($0) } ?? "the built-in official list (\(layout.metaFile(for: label)!) not present)")
        let sources = DatasetSources(trainFiles: trainFiles, testFiles: [testFile],
                                     trainBatches: trainBatches, trainBatchCounts: trainBatchCounts,
                                     missingTrainBatches: missing, classNamesFile: classNamesFile,
                                     label: layout.labelBytes == 2 ? label : nil, summary: summary)
        return DatasetSplits(kind: kind, train: dataset("train", trainPixels, trainLabels),
                             test: dataset("test", testPixels, testLabels), directory: directory,
                             sources: sources)
    }
}

func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

/// `12345` as `12,345`, for messages and summaries.
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

extension FileSystem {
    /// Size in bytes of the file at `path` (symbolic links followed), nil when it cannot be
    /// examined.
    static func size(of path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }
}
