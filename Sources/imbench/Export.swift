import ArgumentParser
import Foundation
import ImbalanceData

/// `imbench data export`: writes a dataset the suite can read in one of the user formats,
/// so Buda's protocol can be tried on "your own data" with real images, and so any set can
/// be handed to other tools (torchvision's ImageFolder, numpy).
struct DataExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a dataset as an image folder, a CSV list or an NPZ file.",
        discussion: """
        folder: OUT/train/CLASS/NNNNN.png and OUT/test/CLASS/NNNNN.png (torchvision's \
        ImageFolder layout; class folders LABEL_NAME sort in label order, files numbered in \
        the dataset's order). csv: OUT/images/SPLIT/NNNNN.png and OUT/images.csv \
        (path,label,split). npz: the file OUT in MedMNIST's layout (train_images, \
        train_labels, test_images, test_labels). Reading the result back with --data gives \
        the same images in the same order, so runs match the original's bit for bit.
        """)

    @Argument(help: "A built-in dataset (\(DatasetKind.allCases.filter { $0.reader is IDXReader || $0.reader is CIFARReader }.map(\.rawValue).joined(separator: ", "))), or --data PATH.")
    var dataset: String?
    @Option(help: "Your own data to convert instead (any format --data reads).") var data: String?
    @Option(help: "Output format: folder, csv or npz.") var format: String
    @Option(help: "Output folder (folder, csv) or file (npz).") var out: String
    @Option(help: "Directory holding a built-in dataset; else the usual rule.") var dataDir: String?
    @Option(help: "Write only the first N images of each split (for quick examples).") var limit: Int?

    func run() throws {
        let splits: DatasetSplits
        if let data {
            guard dataset == nil, dataDir == nil else { throw ValidationError("give a dataset name (with --data-dir) or --data, not both") }
            splits = try UserDataset(path: data).load()
        } else {
            guard let name = dataset, let kind = DatasetKind(rawValue: name) else {
                throw ValidationError("name a built-in dataset (\(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))) or give --data PATH")
            }
            let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
            splits = try loadDataset(kind: kind, directory: location.directory)
        }
        guard splits.streamed == nil else { throw ValidationError("\(splits.name) is read in place (too large to export)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        func cut(_ d: ImageDataset) -> ImageDataset { limit.map { d.subset(Array(0..<min($0, d.count))) } ?? d }
        var parts: [(name: String, data: ImageDataset)] = [("train", cut(splits.train)), ("test", cut(splits.test))]
        if let v = splits.validation { parts.append(("validation", cut(v))) }
        let start = Date()
        switch format {
        case "folder": try DatasetWriter.writeFolder(parts, to: out)
        case "csv": try DatasetWriter.writeCSV(parts, to: out)
        case "npz": try DatasetWriter.writeNPZ(parts, to: out)
        default: throw ValidationError("unknown --format '\(format)'; expected folder, csv or npz")
        }
        let counts = parts.map { "\($0.data.count) \($0.name)" }.joined(separator: ", ")
        print(String(format: "wrote %@ (%@ images) as %@ in %.1f s", out, counts, format, Date().timeIntervalSince(start)))
    }
}
