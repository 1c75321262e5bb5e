import ImbalanceData
import ImbalanceTraining
import Yams

/// The `dataset:` key of a sweep config: a built-in dataset's name, or a mapping describing
/// the user's own data. Parsed here, apart from the other keys, so it can move as one piece
/// onto a declarative key table.
///
/// ```yaml
/// dataset: {format: folder, path: data/fashion-mnist-png}        # format optional: guessed
/// dataset: {path: chestxray.npz, size: [64, 64], channels: 1, testFraction: 0.2}
/// ```
extension SweepConfig {
    /// The keys of a `dataset:` mapping, with their help text.
    public static let datasetKeys: [(key: String, help: String)] = [
        ("format", "reader: " + DatasetReaders.names.joined(separator: ", ") + " (default: guessed from the path)"),
        ("path", "the file or folder, relative to the working directory (required)"),
        ("name", "the dataset's name in run ids and reports (default: the file or folder name)"),
        ("size", "[height, width] (or one number for square) every image is resized to (area down, bilinear up)"),
        ("channels", "1 (grey) or 3 (RGB): convert every image"),
        ("testFraction", "stratified fraction held out as the test set, for data without a test split"),
        ("validationFraction", "stratified fraction of the training set held out as the validation set"),
        ("splitSeed", "seed of those splits (default 0)"),
    ]

    /// Parses the `dataset:` value: sets `config.dataset`, and `config.userData` for a
    /// mapping (checked here; its path and format are resolved by `resolveData`), reporting problems with their lines through `fail`.
    static func parseDataset(_ node: Node?, into config: inout SweepConfig,
                             fail: (Node?, String) -> Void) {
        guard let node else { return }
        if let name = node.scalar?.string {
            config.dataset = name
            if DatasetKind(rawValue: name) == nil {
                fail(node, "unknown dataset '\(name)'; expected \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")), or a mapping {format:, path:, size:, channels:} for your own data")
            }
            return
        }
        guard let mapping = node.mapping else {
            fail(node, "'dataset' must be a dataset name or a mapping like {format: folder, path: DIR}")
            return
        }
        let allowed = Set(datasetKeys.map(\.key))
        var values: [String: Node] = [:]
        for (k, v) in mapping {
            let key = k.string ?? ""
            if !allowed.contains(key) {
                fail(k, "unknown key 'dataset.\(key)'; expected \(datasetKeys.map(\.key).joined(separator: ", "))")
            }
            values[key] = v
        }
        func scalar(_ key: String) -> String? {
            guard let n = values[key] else { return nil }
            guard let s = n.scalar?.string else { fail(n, "'dataset.\(key)' must be a single value"); return nil }
            return s
        }
        guard let path = scalar("path"), !path.isEmpty else {
            fail(node, "'dataset' needs a path")
            return
        }
        var user = UserDataset(path: path)
        if let f = scalar("format") {
            if DatasetReaders.named(f) == nil {
                fail(values["format"], "unknown dataset.format '\(f)'; expected \(DatasetReaders.names.joined(separator: ", "))")
            } else if DatasetReaders.named(f) is ILSVRC2012Reader {
                fail(values["format"], "dataset.format ilsvrc2012 is the built-in dataset: write dataset: imagenet (and --data-dir)")
            }
            user.format = f
        }
        if let n = scalar("name") {
            if n.isEmpty || n.contains("/") || n.contains(" ") || DatasetKind(rawValue: n) != nil {
                fail(values["name"], "'dataset.name' must be a non-empty word without '/' or spaces, and not a built-in dataset's name, found '\(n)'")
            }
            user.name = n
        }
        if let sizeNode = values["size"] {
            let items: [Node] = sizeNode.sequence.map { Array($0) } ?? [sizeNode]
            let numbers = items.compactMap { $0.scalar?.string }.compactMap { Int($0) }
            if numbers.count != items.count || !(1...2).contains(numbers.count) || numbers.contains(where: { $0 < 1 || $0 > 4096 }) {
                fail(sizeNode, "'dataset.size' must be [height, width] (or one number), whole numbers 1 ... 4096")
            } else {
                user.height = numbers[0]
                user.width = numbers.count == 2 ? numbers[1] : numbers[0]
            }
        }
        if let c = scalar("channels") {
            if c == "1" || c == "3" { user.channels = Int(c) } else { fail(values["channels"], "'dataset.channels' must be 1 or 3, found '\(c)'") }
        }
        for key in ["testFraction", "validationFraction"] {
            guard let s = scalar(key) else { continue }
            guard let v = Double(s), v > 0, v < 1 else {
                fail(values[key], "'dataset.\(key)' must be a number strictly between 0 and 1, found '\(s)'"); continue
            }
            if key == "testFraction" { user.testFraction = v } else { user.validationFraction = v }
        }
        if let s = scalar("splitSeed") {
            if let v = UInt64(s) { user.splitSeed = v } else { fail(values["splitSeed"], "'dataset.splitSeed' must be a non-negative whole number, found '\(s)'") }
        }
        config.dataset = user.name ?? UserDataset.defaultName(path)
        config.userData = user
        config.userDataLine = (values["path"] ?? node).mark?.line
    }

    /// Resolves the user's data (path made absolute, format guessed when not given), so
    /// the jobs record exactly what they read; a missing path or an unrecognisable file is
    /// reported with the config's line. Commands call it after `load`; `SweepPlan` needs it.
    public mutating func resolveData(path configPath: String) throws {
        guard let user = userData else { return }
        do {
            data = try user.resolvedSpec()
        } catch {
            throw ConfigErrors(path: configPath, problems: [(userDataLine, "dataset: \(error)")])
        }
    }
}
