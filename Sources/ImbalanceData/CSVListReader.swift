/// A strict CSV parser (RFC 4180): comma-separated fields, double-quoted fields with `""`
/// for a quote (and commas and line breaks inside), CRLF or LF line ends, an optional
/// UTF-8 byte-order mark, a final line end optional. Errors name the file and the line.
public enum CSVFile {
    /// Rows of fields with the line each row starts on (1-based). Empty lines are errors
    /// (they are never meant as rows), except after the last row.
    public static func parse(_ bytes: [UInt8], path: String) throws -> [(line: Int, fields: [String])] {
        func fail(_ line: Int, _ message: String) -> DataError {
            DataError(path: path, field: "line \(line)", message: message)
        }
        var b = bytes[...]
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { b = b.dropFirst(3) }
        guard String(validating: b, as: UTF8.self) != nil else {
            throw DataError(path: path, message: "not valid UTF-8 text; expected a CSV list")
        }
        var rows: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, rowLine = 1
        var i = b.startIndex
        var inQuotes = false, wasQuoted = false, atFieldStart = true
        func endField() { fields.append(String(decoding: field, as: UTF8.self)); field = []; wasQuoted = false; atFieldStart = true }
        while i < b.endIndex {
            let c = b[i]
            if inQuotes {
                if c == 0x22 {
                    if i + 1 < b.endIndex && b[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                    inQuotes = false; wasQuoted = true; i += 1; continue
                }
                if c == 0x0A { line += 1 }
                field.append(c); i += 1; continue
            }
            switch c {
            case 0x22:
                guard atFieldStart else { throw fail(line, "a quote inside an unquoted field; quote the whole field and double inner quotes (\"\")") }
                inQuotes = true; atFieldStart = false
            case 0x2C:
                endField()
            case 0x0D, 0x0A:
                if c == 0x0D {
                    guard i + 1 < b.endIndex, b[i + 1] == 0x0A else { throw fail(line, "a carriage return not followed by a line feed") }
                    i += 1
                }
                if fields.isEmpty && field.isEmpty && !wasQuoted {
                    throw fail(line, "empty line; every line must be a row (path, label[, split])")
                }
                endField()
                rows.append((rowLine, fields))
                fields = []
                line += 1; rowLine = line
            default:
                guard !wasQuoted else { throw fail(line, "text after a closing quote; expected a comma or the end of the line") }
                field.append(c); atFieldStart = false
            }
            i += 1
        }
        guard !inQuotes else { throw fail(rowLine, "a quoted field is not closed before the end of the file") }
        if !fields.isEmpty || !field.isEmpty || wasQuoted {
            endField()
            rows.append((rowLine, fields))
        }
        return rows
    }
}

/// CSV lists of images: one row per image, `path,label[,split]`.
///
/// - `path`: a PNG or JPEG file, relative to the CSV's folder or absolute.
/// - `label`: when every label of the file is a non-negative decimal integer, the labels
///   are those numbers and the classes 0 ... the largest (named by their numbers);
///   otherwise they are class names, and the classes are the distinct names sorted bytewise.
/// - `split` (optional column): `train`, `test` or `val` / `validation`. Without it every
///   row is a training image and a test fraction holds out the test set.
/// A first row `path,label[,split]` (any case) is a header and is skipped. Every row must
/// have the same number of fields; an image listed twice in one split is an error.
///
/// Canonical order: within each split, rows are sorted by the image's file name (bytewise),
/// ties broken by the path as written, so the row order of the file does not matter.
public struct CSVListReader: DatasetReader {
    public init() {}

    public var format: String { "csv" }
    public var summary: String { "CSV lists: rows path,label[,split] (split train, test or val), paths relative to the CSV; PNG or JPEG images" }
    public var requirement: String { "a .csv file of rows path,label[,split]" }

    public func locationProblem(at path: String, fileExists: (String) -> Bool,
                                isDirectory: (String) -> Bool) -> String? {
        if let problem = kindProblem(path, wantDirectory: false, fileExists: fileExists, isDirectory: isDirectory) { return problem }
        return path.lowercased().hasSuffix(".csv") ? nil : "not named .csv"
    }

    public func read(_ request: ReadRequest) throws -> DatasetSplits {
        let path = request.path
        var rows = try CSVFile.parse(FileSystem.readNoted(path), path: path)
        if let first = rows.first, first.fields.first?.lowercased() == "path" {
            let names = first.fields.map { $0.lowercased() }
            guard names == ["path", "label"] || names == ["path", "label", "split"] else {
                throw DataError(path: path, field: "line \(first.line)", message: "header \(first.fields.joined(separator: ",")); expected path,label or path,label,split")
            }
            rows.removeFirst()
        }
        guard let width = rows.first?.fields.count else {
            throw DataError(path: path, message: "no rows; expected \(requirement)")
        }
        guard width == 2 || width == 3 else {
            throw DataError(path: path, field: "line \(rows[0].line)", message: "\(width) field(s); expected path,label or path,label,split")
        }
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var entries: [(line: Int, path: String, written: String, label: String, split: String)] = []
        for row in rows {
            let line = "line \(row.line)"
            guard row.fields.count == width else {
                throw DataError(path: path, field: line, message: "\(row.fields.count) field(s); the first row has \(width)")
            }
            let written = row.fields[0]
            guard !written.isEmpty else { throw DataError(path: path, field: line, message: "empty path") }
            guard !row.fields[1].isEmpty else { throw DataError(path: path, field: line, message: "empty label") }
            var split = "train"
            if width == 3 {
                switch row.fields[2].lowercased() {
                case "train": split = "train"
                case "test": split = "test"
                case "val", "validation": split = "validation"
                default: throw DataError(path: path, field: line, message: "split '\(row.fields[2])'; expected train, test or val")
                }
            }
            let file = written.hasPrefix("/") ? written : joinPath(folder, written)
            entries.append((row.line, file, written, row.fields[1], split))
        }
        let numeric = entries.allSatisfy { e in !e.label.isEmpty && e.label.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && e.label.utf8.count <= 6 }
        let classNames: [String]
        let labelOf: [String: Int]
        if numeric {
            let top = entries.map { Int($0.label)! }.max()!
            classNames = (0...top).map(String.init)
            labelOf = Dictionary(uniqueKeysWithValues: Set(entries.map(\.label)).map { ($0, Int($0)!) })
        } else {
            classNames = Array(Set(entries.map(\.label))).sorted(by: utf8Less)
            labelOf = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        }
        var sets: [String: ImageDataset] = [:]
        var digest = FileSetDigest()
        var splitFiles: [String: [String]] = [:]
        for split in ["train", "test", "validation"] {
            let rowsOfSplit = entries.filter { $0.split == split }.sorted { a, b in
                let na = baseName(a.written), nb = baseName(b.written)
                return na == nb ? utf8Less(a.written, b.written) : utf8Less(na, nb)
            }
            guard !rowsOfSplit.isEmpty else { continue }
            for (a, b) in zip(rowsOfSplit, rowsOfSplit.dropFirst()) where a.written == b.written {
                throw DataError(path: path, field: "line \(b.line)", message: "\(b.written) is listed twice in the \(split) split (also line \(a.line))")
            }
            var builder = ImageSetBuilder(name: "\(request.name)/\(split)", conversion: request.conversion)
            for e in rowsOfSplit {
                let bytes: [UInt8]
                do { bytes = try FileSystem.readAll(e.path) } catch let error as DataError {
                    throw DataError(path: e.path, message: "\(error.message) (listed in \(path):\(e.line))")
                }
                digest.add(relative: e.written, bytes: bytes)
                try builder.add(ImageFile.decode(bytes, path: e.path), label: labelOf[e.label]!, path: e.path)
                splitFiles[split, default: []].append(e.path)
            }
            sets[split] = builder.build(classNames: classNames)
        }
        digest.note(path: path + " images")
        return try userSplits(train: sets["train"], test: sets["test"], validation: sets["validation"],
                              request: request, storedWhere: width == 3 ? "split column" : "no split column",
                              source: "CSV list \(baseName(path))", trainFiles: splitFiles["train"] ?? [],
                              testFiles: splitFiles["test"] ?? [])
    }
}
