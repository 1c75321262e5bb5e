import ImbalanceData

/// Images per class of one split, as read from the files.
public struct SplitSummary: Equatable, Sendable {
    public var name: String
    public var images: Int
    public var classCounts: [Int]
    /// The publisher's counts from the manifest, when listed.
    public var officialCounts: [Int]?
    public var officialImages: Int
    /// Files of the split that were not found (the counts then cover only the others).
    public var missingFiles: [String]

    public var matchesOfficial: Bool? {
        guard missingFiles.isEmpty else { return false }
        if let officialCounts { return officialCounts == classCounts }
        return images == officialImages
    }
}

/// What `imbench data info` prints: format, shape, per-class counts and checksums.
public struct DatasetInfo: Sendable {
    public var manifest: DatasetManifest
    public var directory: String
    /// How the counts were read (which reader).
    public var reader: String
    public var splits: [SplitSummary]
    public var verification: VerificationReport
}

public enum Inspector {
    /// Reads the dataset in `directory` with the suite's own reader
    /// (`ImbalanceData.loadDataset`, which validates headers, shapes and labels, and reads
    /// CIFAR from loose batches or the official archive) and counts labels per split; adds
    /// the checksum report of `Verifier`.
    public static func inspect(_ manifest: DatasetManifest, directory: String,
                               cache: HashCache = HashCache()) throws -> DatasetInfo {
        let verification = try Verifier.verify(manifest, directory: directory, cache: cache)
        guard let kind = manifest.kind else {
            throw ManifestError(path: manifest.name, message: "the suite has no reader for '\(manifest.name)' (datasetKind \(manifest.datasetKind ?? "unset"))")
        }
        let data = try loadDataset(kind: kind, directory: directory)
        let reader = data.sources?.summary ?? "\(kind.displayName) from \(directory)"
        var splits: [SplitSummary] = []
        for (name, set) in [("train", data.train), ("test", data.test)] {
            let official = manifest.splits.first { $0.name == name }
            let missing = name == "train" ? (data.sources?.missingTrainBatches ?? []) : []
            splits.append(SplitSummary(name: name, images: set.count, classCounts: set.classCounts(),
                                       officialCounts: official?.classCounts,
                                       officialImages: official?.images ?? set.count,
                                       missingFiles: missing))
        }
        return DatasetInfo(manifest: manifest, directory: directory, reader: reader, splits: splits,
                           verification: verification)
    }
}
