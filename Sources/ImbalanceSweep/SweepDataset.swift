import ImbalanceData
import ImbalanceTraining
import Yams

/// The `dataset:` key of a sweep config: a built-in dataset's name, or a mapping describing
/// the user's own data. Its entry in `keyTable` is `.either` of the two; the mapping's keys
/// are `datasetKeyTable`.
///
/// ```yaml
/// dataset: {format: folder, path: data/fashion-mnist-png}        # format optional: guessed
/// dataset: {path: chestxray.npz, size: [64, 64], channels: 1, testFraction: 0.2}
/// ```
extension SweepConfig {
    /// The keys of a `dataset:` mapping.
    public static let datasetKeyTable: [ConfigKey] = [
        ConfigKey("format", .custom(type: "name", values: (DatasetReaders.names.filter { $0 != "ilsvrc2012" }).joined(separator: ", "),
                                    check: { node, label in
            guard let f = node.scalar?.string else { return .problem("'\(label)' must be a single value") }
            if DatasetReaders.named(f) is ILSVRC2012Reader {
                return .problem("\(label) ilsvrc2012 is the built-in dataset: write dataset: imagenet (and --data-dir)")
            }
            guard DatasetReaders.named(f) != nil else {
                return .problem("unknown \(label) '\(f)'; expected \(DatasetReaders.names.joined(separator: ", "))")
            }
            return .item(.text(f))
        }), default: .absent("guessed from the path"), "the reader"),
        ConfigKey("path", .text, default: .required, "the file or folder, relative to the working directory"),
        ConfigKey("name", .custom(type: "text", values: "a word without '/' or spaces, not a built-in dataset's name",
                                  check: { node, label in
            guard let n = node.scalar?.string, !n.isEmpty, !n.contains("/"), !n.contains(" "),
                  DatasetKind(rawValue: n) == nil else {
                return .problem("'\(label)' must be a non-empty word without '/' or spaces, and not a built-in "
                                + "dataset's name, found '\(node.scalar?.string ?? "a list or mapping")'")
            }
            return .item(.text(n))
        }), default: .absent("the file or folder name"), "the dataset's name in run ids and reports"),
        ConfigKey("size", .custom(type: "whole number or list of 2 whole numbers",
                                  values: "[height, width] (or one number for square), 1 ... 4096 each",
                                  check: { node, label in
            let items: [Node] = node.sequence.map { Array($0) } ?? [node]
            let numbers = items.compactMap { $0.scalar?.string }.compactMap { Int($0) }
            guard numbers.count == items.count, (1...2).contains(numbers.count),
                  numbers.allSatisfy({ (1...4096).contains($0) }) else {
                return .problem("'\(label)' must be [height, width] (or one number), whole numbers 1 ... 4096")
            }
            return .item(.list(numbers.map { .integer($0) }))
        }), default: .absent("as stored"), "every image resized to this (area down, bilinear up)"),
        ConfigKey("channels", .custom(type: "whole number", values: "1 (grey) or 3 (RGB)", check: { node, label in
            guard let c = node.scalar?.string, c == "1" || c == "3" else {
                return .problem("'\(label)' must be 1 or 3, found '\(node.scalar?.string ?? "a list or mapping")'")
            }
            return .item(.integer(Int(c)!))
        }), default: .absent("as stored"), "convert every image to this many channels"),
        ConfigKey("testFraction", fraction, default: .absent("the data's own test split"),
                  "stratified fraction held out as the test set, for data without a test split"),
        ConfigKey("validationFraction", fraction, default: .absent("none"),
                  "stratified fraction of the training set held out as the validation set"),
        ConfigKey("splitSeed", .unsigned, default: .value(.unsigned(0)), "seed of those splits"),
    ]

    /// A number strictly between 0 and 1.
    static let fraction = ConfigValue.custom(type: "number", values: "strictly between 0 and 1", check: { node, label in
        guard let s = node.scalar?.string, let v = Double(s), v > 0, v < 1 else {
            return .problem("'\(label)' must be a number strictly between 0 and 1, found '\(node.scalar?.string ?? "a list or mapping")'")
        }
        return .item(.number(v))
    })

    /// Stores the checked `dataset:` value: a built-in name, or the user's data (its path
    /// and format are resolved by `resolveData`).
    static func storeDataset(_ config: inout SweepConfig, _ item: ConfigItem) {
        if let name = item.string {
            config.dataset = name
            return
        }
        var user = UserDataset(path: item["path"]!.string!)
        user.format = item["format"]?.string
        user.name = item["name"]?.string
        if let size = item["size"]?.items.compactMap(\.int) {
            user.height = size[0]
            user.width = size.count == 2 ? size[1] : size[0]
        }
        user.channels = item["channels"]?.int
        user.testFraction = item["testFraction"]?.double
        user.validationFraction = item["validationFraction"]?.double
        user.splitSeed = item["splitSeed"]?.uint64 ?? 0
        config.dataset = user.name ?? UserDataset.defaultName(user.path)
        config.userData = user
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
