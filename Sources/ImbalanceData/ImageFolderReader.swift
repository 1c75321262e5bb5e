/// Image folders in torchvision's `ImageFolder` convention: one subfolder per class, the
/// class names being the folder names (sorted bytewise, so label i is the i-th name).
///
/// Layouts, the first that matches:
/// - `ROOT/train/CLASS/...` and `ROOT/test/CLASS/...`, optionally `ROOT/val/CLASS/...`
///   (or `validation/`): the splits as stored. The classes are the training split's
///   folders; a test or validation folder naming another class is an error.
/// - `ROOT/CLASS/...`: one pool, from which a test fraction holds out the test set.
/// Images are PNG or JPEG files (`.png`, `.jpg`, `.jpeg`, any case; decoded by content),
/// found recursively under each class folder. Names starting with `.` are skipped; any
/// other file in a class folder is an error (a `.tif` would otherwise vanish from the data
/// without a word), as is a class folder without images or an image outside a class
/// folder. Regular files that are not images directly under ROOT (a README, a CSV) are
/// ignored.
///
/// Canonical order: within each split, images are sorted by file name (bytewise), ties
/// broken by their path below the split folder (`CLASS/...`). Writing a dataset's images as
/// `CLASS/00000.png`, `CLASS/00001.png`, ... numbered in its original order therefore
/// reads them back in that order, whatever order the directory lists them in.
public struct ImageFolderReader: DatasetReader {
    public init() {}

    public var format: String { "folder" }
    public var summary: String { "image folders (torchvision ImageFolder): ROOT/CLASS/*.png|jpg, or ROOT/train/CLASS/..., ROOT/test/CLASS/... [ROOT/val/CLASS/...]" }
    public var requirement: String { "a directory of class folders (ROOT/CLASS/*.png), or of train/ and test/ folders of class folders" }

    static let splitFolders: [(split: String, folders: [String])] = [
        ("train", ["train"]), ("test", ["test"]), ("validation", ["val", "validation"]),
    ]

    public func locationProblem(at path: String, fileExists: (String) -> Bool,
                                isDirectory: (String) -> Bool) -> String? {
        kindProblem(path, wantDirectory: true, fileExists: fileExists, isDirectory: isDirectory)
    }

    public func read(_ request: ReadRequest) throws -> DatasetSplits {
        let root = request.path
        guard FileSystem.kind(of: root) == .directory else {
            throw DataError(path: root, message: "is not a directory; expected \(requirement)")
        }
        let splitLayout = FileSystem.kind(of: joinPath(root, "train")) == .directory
        var found: [String: (folder: String, images: [(class: String, relative: String)])] = [:]
        if splitLayout {
            for (split, names) in Self.splitFolders {
                let present = names.filter { FileSystem.kind(of: joinPath(root, $0)) == .directory }
                if present.count > 1 {
                    throw DataError(path: root, message: "holds both \(present.joined(separator: "/ and ")); expected one \(split) folder")
                }
                if let folder = present.first {
                    found[split] = (folder, try scan(joinPath(root, folder)))
                }
            }
        } else {
            found["train"] = ("", try scan(root))
        }
        guard let train = found["train"] else { throw DataError(path: root, message: "no training images") }
        let classNames = Array(Set(train.images.map(\.class))).sorted(by: utf8Less)
        let label = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        var sets: [String: ImageDataset] = [:]
        var splitFiles: [String: [String]] = [:]
        var digest = FileSetDigest()
        for (split, _) in Self.splitFolders {
            guard let part = found[split] else { continue }
            let base = part.folder.isEmpty ? root : joinPath(root, part.folder)
            let sorted = part.images.sorted { a, b in
                let na = baseName(a.relative), nb = baseName(b.relative)
                return na == nb ? utf8Less(a.relative, b.relative) : utf8Less(na, nb)
            }
            var builder = ImageSetBuilder(name: "\(request.name)/\(split)", conversion: request.conversion)
            for image in sorted {
                guard let y = label[image.class] else {
                    throw DataError(path: joinPath(base, image.class), message: "class folder '\(image.class)' is not among the training classes (\(classNames.joined(separator: ", ")))")
                }
                let file = joinPath(base, image.relative)
                let bytes = try FileSystem.readAll(file)
                digest.add(relative: part.folder.isEmpty ? image.relative : part.folder + "/" + image.relative, bytes: bytes)
                try builder.add(ImageFile.decode(bytes, path: file), label: y, path: file)
                splitFiles[split, default: []].append(file)
            }
            sets[split] = builder.build(classNames: classNames)
        }
        digest.note(path: root)
        let stored = splitLayout ? "folders \(found.values.map(\.folder).sorted().joined(separator: ", "))" : "class folders directly under the root"
        return try userSplits(train: sets["train"], test: sets["test"], validation: sets["validation"],
                              request: request, storedWhere: stored, source: "image folders",
                              trainFiles: splitFiles["train"] ?? [], testFiles: splitFiles["test"] ?? [])
    }

    /// The images below the class folders of `folder`: (class, path relative to `folder`).
    private func scan(_ folder: String) throws -> [(class: String, relative: String)] {
        var out: [(class: String, relative: String)] = []
        var classes = 0
        for name in try FileSystem.list(folder) where !name.hasPrefix(".") {
            let path = joinPath(folder, name)
            switch FileSystem.kind(of: path) {
            case .directory:
                classes += 1
                let before = out.count
                try walk(path, relative: name, into: &out, className: name)
                if out.count == before {
                    throw DataError(path: path, message: "class folder holds no images (.png, .jpg, .jpeg)")
                }
            case .regularFile:
                if ImageFile.hasImageSuffix(name) {
                    throw DataError(path: path, message: "image outside a class folder; images go in \(folder)/CLASS/")
                }
            default:
                continue
            }
        }
        guard classes > 0 else {
            throw DataError(path: folder, message: "no class folders; expected \(requirement)")
        }
        return out
    }

    private func walk(_ dir: String, relative: String, into out: inout [(class: String, relative: String)],
                      className: String) throws {
        for name in try FileSystem.list(dir) where !name.hasPrefix(".") {
            let path = joinPath(dir, name)
            switch FileSystem.kind(of: path) {
            case .directory:
                try walk(path, relative: relative + "/" + name, into: &out, className: className)
            case .regularFile:
                guard ImageFile.hasImageSuffix(name) else {
                    throw DataError(path: path, message: "not a .png, .jpg or .jpeg file in a class folder; the folder reader reads only those (remove or convert it)")
                }
                out.append((className, relative + "/" + name))
            default:
                throw DataError(path: path, message: "is not a regular file or directory")
            }
        }
    }
}
