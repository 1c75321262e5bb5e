/// Images from an IDX3 file (MNIST layout).
///
/// Pixels stay `UInt8`: 1 byte per pixel keeps MNIST's 47 MB as 47 MB, and the engine
/// converts to Float one batch at a time (`ImageDataset.fillBatch`).
public struct IDXImages: Equatable, Sendable {
    public var count: Int
    public var rows: Int
    public var cols: Int
    /// Row-major pixels, image after image: `count * rows * cols` bytes.
    public var pixels: [UInt8]

    public init(count: Int, rows: Int, cols: Int, pixels: [UInt8]) {
        precondition(pixels.count == count * rows * cols, "pixel count does not match shape")
        self.count = count
        self.rows = rows
        self.cols = cols
        self.pixels = pixels
    }
}

/// Reader for the IDX format (LeCun's MNIST files), plain or gzip-compressed.
///
/// Layout: 2 zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then
/// one big-endian UInt32 per dimension, then the data. The reader is strict: the data must
/// be exactly as long as the dimensions say, because a truncated download or a file with
/// trailing bytes would otherwise train on garbage without any sign of it.
public enum IDXFile {
    /// Magic of an unsigned-byte, 3-dimensional IDX file (images).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic of an unsigned-byte, 1-dimensional IDX file (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads an IDX3 image file. `path` may name the file itself or its base name: if
    /// `path` does not exist, `path.gz` is tried (and for a `.gz` path, the name without it).
    public static func readImages(at path: String) throws -> IDXImages {
        try loadImages(at: path).images
    }

    /// Reads an IDX1 label file (one byte per label), with the same name rule as
    /// `readImages(at:)`.
    public static func readLabels(at path: String) throws -> [UInt8] {
        try loadLabels(at: path).labels
    }

    /// `readImages` plus the resolved file and whether it was gzip, so callers that
    /// validate further can report offsets the way the file stores them.
    static func loadImages(at path: String) throws -> (file: String, images: IDXImages, compressed: Bool) {
        let (file, content, compressed) = try load(path)
        let array = try parse(content, path: file, compressed: compressed,
                              expectedDimensions: 3, role: "image")
        let images = IDXImages(count: array.dimensions[0], rows: array.dimensions[1],
                               cols: array.dimensions[2], pixels: array.data)
        return (file, images, compressed)
    }

    static func loadLabels(at path: String) throws -> (file: String, labels: [UInt8], compressed: Bool) {
        let (file, content, compressed) = try load(path)
        let labels = try parse(content, path: file, compressed: compressed,
                               expectedDimensions: 1, role: "label").data
        return (file, labels, compressed)
    }

    /// The file that `path` refers to under the `name` / `name.gz` rule.
    ///
    /// A directory where the file should be is an error here rather than a fall-through to
    /// `name.gz`, since it almost always means a wrong `--data-dir` level.
    public static func resolve(_ path: String) throws -> String {
        switch FileSystem.kind(of: path) {
        case .regularFile: return path
        case .directory:
            throw DataError(path: path, message: "is a directory; expected an IDX file")
        case .other:
            throw DataError(path: path, message: "is not a regular file; expected an IDX file")
        case .missing:
            break
        }
        let alternative = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path + ".gz"
        switch FileSystem.kind(of: alternative) {
        case .regularFile: return alternative
        case .directory:
            throw DataError(path: alternative, message: "is a directory; expected an IDX file")
        default:
            throw DataError(path: path, message:
                "no such file (also tried \(alternative)); expected an IDX file, plain or gzip-compressed")
        }
    }

    /// A parsed IDX array of unsigned bytes.
    struct ByteArray {
        var dimensions: [Int]
        var data: [UInt8]
    }

    private static func load(_ path: String) throws -> (String, [UInt8], Bool) {
        let file = try resolve(path)
        let (content, compressed) = try Gzip.readFile(at: file)
        return (file, content, compressed)
    }

    /// Parses and validates an unsigned-byte IDX array with `expectedDimensions` dimensions.
    /// `role` ("image"/"label") only makes the messages say what kind of file was expected.
    static func parse(_ bytes: [UInt8], path: String, compressed: Bool,
                      expectedDimensions: Int, role: String) throws -> ByteArray {
        func fail(_ field: String?, _ offset: Int?, _ message: String) -> DataError {
            DataError(path: path, field: field, offset: offset,
                      offsetIsInDecompressedData: compressed, message: message)
        }
        let expectedMagic = UInt32(0x0800) | UInt32(expectedDimensions)
        let magicText = "0x" + hex32(expectedMagic)
        guard !bytes.isEmpty else {
            throw fail(nil, nil, compressed
                ? "gzip content is empty; expected an IDX \(role) file (magic \(magicText))"
                : "file is empty (0 bytes); expected an IDX \(role) file (magic \(magicText))")
        }
        guard bytes.count >= 4 else {
            throw fail("magic", 0, "truncated header: expected 4 magic bytes, found only \(bytes.count) byte(s)")
        }
        let magic = readBE32(bytes, 0)
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw fail("magic", 0, "expected IDX magic \(magicText) (first two bytes zero), found 0x\(hex32(magic)); not an IDX file")
        }
        guard bytes[2] == 0x08 else {
            throw fail("magic (data type)", 2, "expected data type 0x08 (unsigned byte), found 0x\(hex([bytes[2]])) (\(typeName(bytes[2])))")
        }
        let dimensionCount = Int(bytes[3])
        guard dimensionCount == expectedDimensions else {
            throw fail("magic (dimension count)", 3, "expected \(expectedDimensions) dimension(s) for an IDX \(role) file (magic \(magicText)), found \(dimensionCount) (magic 0x\(hex32(magic)))")
        }
        let headerSize = 4 + 4 * dimensionCount
        guard bytes.count >= headerSize else {
            throw fail("dimensions", bytes.count, "truncated header: expected \(headerSize) header bytes for \(dimensionCount) dimension(s), found only \(bytes.count)")
        }
        var dimensions: [Int] = []
        var product = 1
        for d in 0..<dimensionCount {
            let offset = 4 + 4 * d
            let size = Int(readBE32(bytes, offset))
            let name = dimensionName(d, of: dimensionCount)
            guard size > 0 else {
                throw fail(name, offset, "expected a non-zero size, found 0")
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw fail(name, offset, "the product of the dimensions overflows; expected a size that fits in memory")
            }
            product = next
            dimensions.append(size)
        }
        let dataLength = bytes.count - headerSize
        guard dataLength == product else {
            let shape = dimensions.map(String.init).joined(separator: " x ")
            if dataLength < product {
                throw fail("data", bytes.count, "truncated data: the header says \(shape) = \(product) bytes, found only \(dataLength) (file cut short?)")
            }
            throw fail("data", headerSize + product, "trailing bytes: the header says \(shape) = \(product) bytes, found \(dataLength) (\(dataLength - product) extra)")
        }
        return ByteArray(dimensions: dimensions, data: Array(bytes[headerSize...]))
    }

    private static func readBE32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    private static func hex32(_ value: UInt32) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    private static func dimensionName(_ d: Int, of count: Int) -> String {
        if count == 3 { return "dimension \(d) (\(["count", "rows", "cols"][d]))" }
        if count == 1 { return "dimension 0 (count)" }
        return "dimension \(d)"
    }

    private static func typeName(_ code: UInt8) -> String {
        switch code {
        case 0x08: return "unsigned byte"
        case 0x09: return "signed byte"
        case 0x0B: return "int16"
        case 0x0C: return "int32"
        case 0x0D: return "float32"
        case 0x0E: return "float64"
        default: return "unknown type"
        }
    }
}
