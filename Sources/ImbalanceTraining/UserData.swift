import ImbalanceData

extension DataSpec {
    /// The user dataset this spec describes (format resolved, as recorded).
    public var userDataset: UserDataset {
        UserDataset(format: format, path: path, height: height, width: width, channels: channels,
                    testFraction: testFraction, validationFraction: validationFraction,
                    splitSeed: splitSeed ?? 0)
    }
}

extension UserDataset {
    /// The spec a job records: the format resolved (guessed from the path when not given)
    /// and the path made absolute, so a record says exactly what was read.
    public func resolvedSpec(currentDirectory: String = DataLocation.currentDirectory()) throws -> DataSpec {
        try validate()
        let absolute = path.hasPrefix("/") ? path : (currentDirectory.hasSuffix("/") ? currentDirectory : currentDirectory + "/") + path
        var copy = self
        copy.path = DataLocation.lexicallyNormalized(absolute)
        let reader = try copy.reader()
        return DataSpec(format: reader.format, path: copy.path, height: height, width: width,
                        channels: channels, testFraction: testFraction,
                        validationFraction: validationFraction, splitSeed: splitSeed == 0 ? nil : splitSeed)
    }
}

/// The one way a job's data is loaded, for `train`, `sweep` workers and tests: a user's
/// dataset from `config.data`, else the built-in dataset `config.dataset` from `directory`.
public func loadSplits(for config: JobConfig, directory: String) throws -> DatasetSplits {
    if let spec = config.data {
        var user = spec.userDataset
        user.name = config.dataset
        return try user.load()
    }
    guard let kind = DatasetKind(rawValue: config.dataset) else {
        throw ExperimentError("unknown dataset '\(config.dataset)' (expected one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")), or a dataset: {format:, path:} mapping)")
    }
    guard let label = CIFARLabel(recordedName: config.label) else {
        throw ExperimentError("unknown label '\(config.label ?? "")' (expected fine or coarse)")
    }
    return try loadDataset(kind: kind, directory: directory, cifarLabel: label)
}
