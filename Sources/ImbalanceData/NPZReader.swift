/// numpy `.npz` archives (`np.savez` / `np.savez_compressed`), in MedMNIST's layout or with
/// plain keys.
///
/// Keys (each `KEY.npy` in the zip), the first layout that matches:
/// - MedMNIST: `train_images`, `train_labels`, `test_images`, `test_labels`, and
///   optionally `val_images`, `val_labels`;
/// - Keras: `x_train`, `y_train`, `x_test`, `y_test` (optionally `x_val`, `y_val`);
/// - one pool: `images`, `labels` (a test fraction holds out the test set).
/// Any other member is an error (it would otherwise be silently ignored). Images are uint8
/// (`|u1`), shaped (N, H, W) or (N, H, W, C) with C = 1 or 3; labels are integers shaped
/// (N,) or (N, 1) (multi-label arrays such as ChestMNIST's (N, 14) are refused), each
/// >= 0. Classes are 0 ... the largest label of any split, named by their numbers. Images
/// keep the arrays' order.
public struct NPZReader: DatasetReader {
    public init() {}

    public var format: String { "npz" }
    public var summary: String { "numpy .npz (MedMNIST keys train/val/test_images and _labels, Keras x_/y_train/test, or images/labels): uint8 images (N, H, W[, C]), integer labels (N,) or (N, 1)" }
    public var requirement: String { "an .npz file" }

    static let layouts: [(name: String, splits: [(split: String, images: String, labels: String)])] = [
        ("MedMNIST", [("train", "train_images", "train_labels"), ("test", "test_images", "test_labels"),
                      ("validation", "val_images", "val_labels")]),
        ("Keras", [("train", "x_train", "y_train"), ("test", "x_test", "y_test"), ("validation", "x_val", "y_val")]),
        ("pool", [("train", "images", "labels")]),
    ]

    public func locationProblem(at path: String, fileExists: (String) -> Bool,
                                isDirectory: (String) -> Bool) -> String? {
        if let problem = kindProblem(path, wantDirectory: false, fileExists: fileExists, isDirectory: isDirectory) { return problem }
        return path.lowercased().hasSuffix(".npz") ? nil : "not named .npz"
    }

    public func read(_ request: ReadRequest) throws -> DatasetSplits {
        let path = request.path
        let zip = try ZipArchive(bytes: FileSystem.readNoted(path), path: path)
        let keys = zip.members.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
        guard let layout = Self.layouts.first(where: { l in keys.contains(l.splits[0].images) }) else {
            throw DataError(path: path, message: "no known keys; found \(keys.joined(separator: ", ")); expected train_images/train_labels/test_images/test_labels (MedMNIST), x_train/y_train/x_test/y_test (Keras) or images/labels")
        }
        let allowed = Set(layout.splits.flatMap { [$0.images, $0.labels] })
        for m in zip.members {
            let key = m.name.hasSuffix(".npy") ? String(m.name.dropLast(4)) : m.name
            guard m.name.hasSuffix(".npy"), allowed.contains(key) else {
                throw DataError(path: path, field: "member \(m.name)", message: "unexpected member in a \(layout.name)-layout archive; expected only \(allowed.sorted().map { $0 + ".npy" }.joined(separator: ", "))")
            }
        }
        func array(_ key: String) throws -> NPYArray? {
            guard let m = zip.member(named: key + ".npy") else { return nil }
            return try NPYFile.parse(try zip.content(of: m), path: "\(path):\(m.name)")
        }
        var parts: [String: (pixels: [UInt8], labels: [Int], shape: (Int, Int, Int))] = [:]
        var top = -1
        for s in layout.splits {
            let images = try array(s.images), labels = try array(s.labels)
            switch (images, labels) {
            case (nil, nil): continue
            case (nil, _): throw DataError(path: path, field: "member \(s.images).npy", message: "\(s.labels).npy is present but \(s.images).npy is not")
            case (_, nil): throw DataError(path: path, field: "member \(s.labels).npy", message: "\(s.images).npy is present but \(s.labels).npy is not")
            case let (i?, l?):
                let part = try convert(images: i, labels: l, imagesKey: s.images, labelsKey: s.labels, path: path)
                top = max(top, part.labels.max() ?? -1)
                parts[s.split] = part
            }
        }
        let classNames = (0...max(top, 0)).map(String.init)
        func dataset(_ split: String) throws -> ImageDataset? {
            guard let p = parts[split] else { return nil }
            let raw = ImageDataset(name: "\(request.name)/\(split)", channels: p.shape.0, height: p.shape.1,
                                   width: p.shape.2, pixels: p.pixels, labels: p.labels, classNames: classNames)
            return try request.conversion.map { try $0.apply(raw) } ?? raw
        }
        return try userSplits(train: dataset("train"), test: dataset("test"), validation: dataset("validation"),
                              request: request, storedWhere: "\(layout.name) keys \(keys.joined(separator: ", "))",
                              source: baseName(path), trainFiles: [path], testFiles: [path])
    }

    /// Checks an images/labels pair and turns HWC images into planes.
    private func convert(images: NPYArray, labels: NPYArray, imagesKey: String, labelsKey: String,
                         path: String) throws -> (pixels: [UInt8], labels: [Int], shape: (Int, Int, Int)) {
        let imagesPath = "\(path):\(imagesKey).npy", labelsPath = "\(path):\(labelsKey).npy"
        guard images.descr == "|u1" || images.descr == "<u1" || images.descr == ">u1" || images.descr == "=u1" else {
            throw DataError(path: imagesPath, field: "descr", message: "images must be uint8 ('|u1'), found '\(images.descr)'")
        }
        let s = images.shape
        let shapeText = "(" + s.map(String.init).joined(separator: ", ") + ")"
        guard s.count == 3 || (s.count == 4 && (s[3] == 1 || s[3] == 3)) else {
            throw DataError(path: imagesPath, field: "shape", message: "images must be (N, H, W) or (N, H, W, C) with C = 1 or 3, found \(shapeText)")
        }
        let (n, h, w, c) = (s[0], s[1], s[2], s.count == 4 ? s[3] : 1)
        guard n > 0, h > 0, w > 0 else { throw DataError(path: imagesPath, field: "shape", message: "empty images array \(shapeText)") }
        let ls = labels.shape
        guard ls == [n] || ls == [n, 1] else {
            let multi = ls.count == 2 && ls[0] == n ? " (one column per label: multi-label data is not supported)" : ""
            throw DataError(path: labelsPath, field: "shape", message: "labels must be (\(n),) or (\(n), 1) to match \(n) images, found (\(ls.map(String.init).joined(separator: ", ")))\(multi)")
        }
        guard let values = labels.integers() else {
            throw DataError(path: labelsPath, field: "descr", message: "labels must be integers, found '\(labels.descr)'")
        }
        for (i, v) in values.enumerated() where v < 0 || v > 65_535 {
            throw DataError(path: labelsPath, field: "label[\(i)]", message: "labels must lie in 0 ... 65535, found \(v) at index \(i)")
        }
        var planes = images.data
        if c == 3 {
            let plane = h * w
            images.data.withUnsafeBufferPointer { src in
                planes.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<n {
                        let base = i * 3 * plane
                        for p in 0..<plane { for k in 0..<3 { dst[base + k * plane + p] = src[base + p * 3 + k] } }
                    }
                }
            }
        }
        return (planes, values, (c, h, w))
    }
}
