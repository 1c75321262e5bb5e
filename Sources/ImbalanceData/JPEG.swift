import CJPEGDecode

/// JPEG decoding through Debian's libjpeg-turbo (system-library target `CJPEG`, called from
/// the small C target `CJPEGDecode`, because libjpeg reports errors by longjmp).
///
/// Baseline and progressive files, greyscale or colour (YCbCr or RGB); CMYK is refused.
/// Decoding uses libjpeg's integer inverse DCT (`JDCT_ISLOW`) and its default ("fancy")
/// chroma upsampling, the settings PIL uses, so a file decodes to the same bytes on every
/// machine. libjpeg's warnings (a truncated stream it would pad with grey, corrupt entropy
/// data it would skip) are errors here, each naming the file with libjpeg's message.
/// Greyscale files give 1 channel, colour files 3.
public enum JPEGFile {
    /// Width, height and components of a JPEG, from its header alone.
    public static func info(_ bytes: [UInt8], path: String) throws -> (width: Int, height: Int, components: Int, progressive: Bool) {
        var info = imbench_jpeg_info()
        var message = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBufferPointer { b in
            imbench_jpeg_read_info(b.baseAddress, b.count, &info, &message, message.count)
        }
        guard rc == 0 else { throw error(path, message) }
        return (Int(info.width), Int(info.height), Int(info.components), info.progressive != 0)
    }

    /// Decodes a JPEG held in `bytes`; `path` names the file in errors. Images above
    /// `maxPixels` are refused before any pixel memory is allocated.
    public static func decode(_ bytes: [UInt8], path: String,
                              maxPixels: Int = PNGFile.defaultMaxPixels) throws -> DecodedImage {
        let header = try info(bytes, path: path)
        guard header.width > 0, header.height > 0 else {
            throw DataError(path: path, message: "JPEG header gives an empty image (\(header.width) x \(header.height))")
        }
        guard header.width.multipliedReportingOverflow(by: header.height).partialValue <= maxPixels,
              header.width <= maxPixels, header.height <= maxPixels else {
            throw DataError(path: path, message: "\(header.width) x \(header.height) pixels exceeds the limit of \(maxPixels)")
        }
        guard header.components == 1 || header.components == 3 else {
            throw DataError(path: path, message: "JPEG with \(header.components) components; expected 1 (greyscale) or 3 (colour); CMYK is not supported")
        }
        let channels = header.components == 1 ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: header.width * header.height * channels)
        var info = imbench_jpeg_info()
        var message = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBufferPointer { b in
            pixels.withUnsafeMutableBufferPointer { p in
                imbench_jpeg_decode(b.baseAddress, b.count, Int32(channels), p.baseAddress, p.count,
                                    &info, &message, message.count)
            }
        }
        guard rc == 0 else { throw error(path, message) }
        return DecodedImage(width: header.width, height: header.height, channels: channels, pixels: pixels)
    }

    private static func error(_ path: String, _ message: [CChar]) -> DataError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return DataError(path: path, message: "not a valid JPEG: \(text.isEmpty ? "libjpeg refused it" : text)")
    }
}

extension JPEGFile {
    /// Encodes an image as JPEG (libjpeg's defaults at `quality`; progressive on request),
    /// for tests, fuzz seeds and dataset export.
    public static func encode(_ image: DecodedImage, quality: Int = 90, progressive: Bool = false) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let rc = image.pixels.withUnsafeBufferPointer { p in
            imbench_jpeg_encode(p.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                                Int32(quality), progressive ? 1 : 0, &out, &size, &message, message.count)
        }
        guard rc == 0, let out else {
            throw DataError(path: "<memory>", message: "JPEG encoding failed: " + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { imbench_jpeg_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
