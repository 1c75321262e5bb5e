/// One decoded image: 8-bit samples, interleaved, row after row.
///
/// What the image decoders (`PNGFile`, `JPEGFile`) return and what the dataset readers turn
/// into `ImageDataset` planes. Alpha is never kept: the study's networks take grey or RGB,
/// and dropping it is what torchvision's loader (PIL's `convert("RGB")`) does.
public struct DecodedImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// 1 (grey) or 3 (RGB).
    public var channels: Int
    /// `height * width * channels` bytes (HWC).
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3))
        precondition(pixels.count == width * height * channels, "pixel count does not match the shape")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }
}

/// Picks the decoder by content (magic bytes), never by file name, as gzip is recognised.
public enum ImageFile {
    /// File name suffixes the folder reader takes as images (lower-cased comparison).
    public static let suffixes = [".png", ".jpg", ".jpeg"]

    /// True when `name` ends in one of `suffixes`, ignoring case.
    public static func hasImageSuffix(_ name: String) -> Bool {
        let lower = name.lowercased()
        return suffixes.contains { lower.hasSuffix($0) }
    }

    /// Decodes a PNG or JPEG held in `bytes`; `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String,
                              maxPixels: Int = PNGFile.defaultMaxPixels) throws -> DecodedImage {
        if bytes.count >= 8 && Array(bytes[0..<8]) == PNGFile.signature {
            return try PNGFile.decode(bytes, path: path, maxPixels: maxPixels)
        }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF {
            return try JPEGFile.decode(bytes, path: path, maxPixels: maxPixels)
        }
        if bytes.isEmpty { throw DataError(path: path, message: "file is empty (0 bytes); expected a PNG or JPEG image") }
        throw DataError(path: path, field: "signature", offset: 0, message:
            "not a PNG (89 50 4e 47 0d 0a 1a 0a) or JPEG (ff d8 ff) file; found \(hex(Array(bytes.prefix(8))))")
    }

    /// Reads and decodes the image file at `path`.
    public static func read(at path: String) throws -> DecodedImage {
        try decode(FileSystem.readAll(path), path: path)
    }
}
