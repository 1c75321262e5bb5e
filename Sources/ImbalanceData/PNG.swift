/// A strict PNG decoder (ISO/IEC 15948) on the system zlib, and an encoder for tests and
/// dataset export.
///
/// Why our own decoder rather than libpng: libpng reports errors by longjmp, which Swift
/// cannot catch, and is lenient by default (it only warns about a bad CRC in an ancillary
/// chunk, extra compressed data or a missing IEND); here every one of those is an error
/// naming the file, the chunk and its offset. It also keeps the code the fuzzer exercises
/// under AddressSanitizer our own, and PNG is small: chunks, one zlib stream, five row
/// filters and Adam7.
///
/// Accepted: every colour type and bit depth of the standard (grey 1/2/4/8/16, RGB 8/16,
/// palette 1/2/4/8, grey + alpha 8/16, RGBA 8/16), interlaced or not. Output is 8-bit:
/// grey (and grey + alpha) gives 1 channel, RGB, RGBA and palette give 3; alpha is dropped;
/// grey below 8 bits is scaled to 0...255 (v * 255 / (2^depth - 1)); 16-bit samples become
/// round(v * 255 / 65535). Checks: the signature; IHDR first, 13 bytes, a valid depth for
/// its colour type, compression, filter and interlace methods 0 / 0 / 0-1; every chunk's
/// CRC; PLTE before IDAT, a whole number of entries, at most 2^depth, required for palette
/// images and refused for grey ones; IDAT chunks consecutive; unknown critical chunks
/// refused (unknown ancillary ones skipped); the zlib stream exactly as long as the image
/// needs, with nothing after it; filter types 0-4; palette indices within the palette;
/// IEND last and empty, and nothing after it. Sizes are checked before allocation: at
/// most `maxPixels` pixels, and no more decompressed data than deflate's 1032:1 limit
/// allows from the compressed bytes present.
public enum PNGFile {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Default limit on width x height (128 Mi pixels: 384 MiB as RGB).
    public static let defaultMaxPixels = 1 << 27

    /// PNG colour types.
    public enum ColorType: UInt8, Sendable {
        case grey = 0, rgb = 2, palette = 3, greyAlpha = 4, rgba = 6

        /// Samples per pixel in the file.
        public var samples: Int {
            switch self {
            case .grey, .palette: return 1
            case .greyAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        var allowedDepths: [Int] {
            switch self {
            case .grey: return [1, 2, 4, 8, 16]
            case .palette: return [1, 2, 4, 8]
            case .rgb, .greyAlpha, .rgba: return [8, 16]
            }
        }

        var name: String {
            switch self {
            case .grey: return "greyscale"
            case .rgb: return "RGB"
            case .palette: return "palette"
            case .greyAlpha: return "greyscale + alpha"
            case .rgba: return "RGBA"
            }
        }
    }

    /// The Adam7 passes: (x0, y0, dx, dy).
    static let adam7: [(Int, Int, Int, Int)] = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                                                (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

    struct Header {
        var width: Int, height: Int, depth: Int, color: ColorType, interlaced: Bool
    }

    /// The passes of an image as (x0, y0, dx, dy, pass width, pass height), empty passes
    /// left out (they have no bytes, not even filter bytes).
    static func passes(width: Int, height: Int, interlaced: Bool) -> [(Int, Int, Int, Int, Int, Int)] {
        guard interlaced else { return [(0, 0, 1, 1, width, height)] }
        return adam7.compactMap { (x0, y0, dx, dy) in
            let w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy
            return w > 0 && h > 0 ? (x0, y0, dx, dy, w, h) : nil
        }
    }

    /// Bytes of one row of `width` pixels, without the filter byte.
    static func rowBytes(width: Int, samples: Int, depth: Int) -> Int {
        (width * samples * depth + 7) / 8
    }

    /// Decodes PNG bytes; `path` names the file in every error.
    public static func decode(_ bytes: [UInt8], path: String,
                              maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        func fail(_ field: String?, _ offset: Int?, _ message: String) -> DataError {
            DataError(path: path, field: field, offset: offset, message: message)
        }
        guard !bytes.isEmpty else { throw fail(nil, nil, "file is empty (0 bytes); expected a PNG image") }
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
            throw fail("signature", 0, "expected the PNG signature 89 50 4e 47 0d 0a 1a 0a, found \(hex(Array(bytes.prefix(8))))")
        }
        var header: Header?
        var palette: [UInt8]?
        var idat: [UInt8] = []
        var idatState = 0          // 0 before IDAT, 1 inside the IDAT run, 2 after it
        var offset = 8
        var sawEnd = false
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else {
                throw fail("chunk at byte \(offset)", offset, "truncated chunk header: \(bytes.count - offset) byte(s) left, a chunk needs at least 12 (length, type, CRC)")
            }
            let length = Int(be32(bytes, offset))
            let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
            let type = String(decoding: typeBytes, as: UTF8.self)
            let field = "chunk \(printable(typeBytes))"
            guard length <= Int(Int32.max) else {
                throw fail(field, offset, "chunk length \(length) exceeds the PNG limit of 2^31 - 1")
            }
            guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw fail(field, offset + 4, "chunk type \(hex(typeBytes)) is not four ASCII letters (corrupt file?)")
            }
            let dataStart = offset + 8
            guard length <= bytes.count - dataStart - 4 else {
                throw fail(field, offset, "chunk of \(length) bytes runs past the end of the file (\(bytes.count - dataStart) byte(s) left with the CRC); truncated file?")
            }
            let stored = be32(bytes, dataStart + length)
            let computed = bytes.withUnsafeBytes { raw in
                Inflate.crc32(UnsafeRawBufferPointer(rebasing: raw[(offset + 4)..<(dataStart + length)]))
            }
            guard stored == computed else {
                throw fail(field, dataStart + length, "CRC mismatch: stored \(hex32(stored)), computed \(hex32(computed)) (corrupt file)")
            }
            let data = bytes[dataStart..<(dataStart + length)]
            if header == nil && type != "IHDR" {
                throw fail(field, offset, "the first chunk must be IHDR, found \(type)")
            }
            if idatState == 1 && type != "IDAT" { idatState = 2 }
            switch type {
            case "IHDR":
                guard header == nil else { throw fail(field, offset, "a second IHDR chunk") }
                header = try parseHeader(data, offset: dataStart, fail: fail)
            case "PLTE":
                let h = header!
                guard palette == nil else { throw fail(field, offset, "a second PLTE chunk") }
                guard idatState == 0 else { throw fail(field, offset, "PLTE after IDAT; the palette must come before the image data") }
                guard h.color != .grey && h.color != .greyAlpha else {
                    throw fail(field, offset, "a PLTE chunk in a \(h.color.name) image (not allowed)")
                }
                guard length > 0, length % 3 == 0 else {
                    throw fail(field, offset, "PLTE length \(length) is not a positive multiple of 3")
                }
                let entries = length / 3
                let limit = h.color == .palette ? 1 << h.depth : 256
                guard entries <= limit else {
                    throw fail(field, offset, "\(entries) palette entries; at most \(limit) for this image")
                }
                palette = Array(data)
            case "IDAT":
                guard idatState != 2 else {
                    throw fail(field, offset, "IDAT chunks are not consecutive (another chunk between them)")
                }
                if header!.color == .palette && palette == nil {
                    throw fail(field, offset, "palette image without a PLTE chunk before its image data")
                }
                idatState = 1
                idat.append(contentsOf: data)
            case "IEND":
                guard length == 0 else { throw fail(field, offset, "IEND has \(length) data bytes; expected 0") }
                let after = dataStart + 4
                guard after == bytes.count else {
                    throw fail(field, after, "\(bytes.count - after) byte(s) after IEND; expected the end of the file")
                }
                sawEnd = true
            default:
                if typeBytes[0] & 0x20 == 0 {
                    throw fail(field, offset, "unknown critical chunk \(type); cannot decode the image without it")
                }
            }
            offset = dataStart + length + 4
        }
        guard let h = header else { throw fail(nil, 8, "no IHDR chunk") }
        guard idatState != 0 else { throw fail(nil, bytes.count, "no IDAT chunk (no image data)") }
        guard sawEnd else { throw fail("IEND", bytes.count, "the file ends without an IEND chunk (truncated file?)") }

        let (pixelCount, overflow) = h.width.multipliedReportingOverflow(by: h.height)
        guard !overflow, pixelCount <= maxPixels else {
            throw fail("IHDR", 16, "\(h.width) x \(h.height) pixels exceeds the limit of \(maxPixels)")
        }
        let samples = h.color.samples
        let passes = passes(width: h.width, height: h.height, interlaced: h.interlaced)
        var expected = 0
        for p in passes { expected += p.5 * (1 + rowBytes(width: p.4, samples: samples, depth: h.depth)) }
        guard expected <= idat.count * 1032 + 1024 else {
            throw fail("IDAT", nil, "\(idat.count) compressed byte(s) cannot hold the \(expected) bytes a \(h.width) x \(h.height) image needs (truncated file?)")
        }
        let raw = try idat.withUnsafeBytes { buf in
            try Inflate.exact(buf, expectedSize: expected, wrapper: .zlib) { message in
                fail("IDAT", nil, "image data: \(message)")
            }
        }
        return try reconstruct(raw, header: h, palette: palette, passes: passes, fail: fail)
    }

    private static func parseHeader(_ data: ArraySlice<UInt8>, offset: Int,
                                    fail: (String?, Int?, String) -> DataError) throws -> Header {
        guard data.count == 13 else { throw fail("IHDR", offset, "IHDR has \(data.count) bytes; expected 13") }
        let d = Array(data)
        let width = Int(be32(d, 0)), height = Int(be32(d, 4))
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw fail("IHDR", offset, "image size \(width) x \(height); width and height must be 1 ... 2^31 - 1")
        }
        guard let color = ColorType(rawValue: d[9]) else {
            throw fail("IHDR colour type", offset + 9, "colour type \(d[9]); expected 0, 2, 3, 4 or 6")
        }
        let depth = Int(d[8])
        guard color.allowedDepths.contains(depth) else {
            throw fail("IHDR bit depth", offset + 8, "bit depth \(depth) is not allowed for \(color.name) images (allowed: \(color.allowedDepths.map(String.init).joined(separator: ", ")))")
        }
        guard d[10] == 0 else { throw fail("IHDR compression method", offset + 10, "compression method \(d[10]); expected 0 (deflate)") }
        guard d[11] == 0 else { throw fail("IHDR filter method", offset + 11, "filter method \(d[11]); expected 0") }
        guard d[12] <= 1 else { throw fail("IHDR interlace method", offset + 12, "interlace method \(d[12]); expected 0 (none) or 1 (Adam7)") }
        return Header(width: width, height: height, depth: depth, color: color, interlaced: d[12] == 1)
    }

    /// Undoes the row filters of every pass and converts the samples to 8-bit grey or RGB.
    private static func reconstruct(_ raw: [UInt8], header h: Header, palette: [UInt8]?,
                                    passes: [(Int, Int, Int, Int, Int, Int)],
                                    fail: (String?, Int?, String) -> DataError) throws -> DecodedImage {
        let samples = h.color.samples
        let outChannels = (h.color == .grey || h.color == .greyAlpha) ? 1 : 3
        let bpp = max(1, samples * h.depth / 8)
        var out = [UInt8](repeating: 0, count: h.width * h.height * outChannels)
        let paletteEntries = (palette?.count ?? 0) / 3
        let maxValue = (1 << h.depth) - 1
        var at = 0
        var rowIndex = 0
        try raw.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                for (x0, y0, dx, dy, pw, ph) in passes {
                    let rb = rowBytes(width: pw, samples: samples, depth: h.depth)
                    var previous = [UInt8](repeating: 0, count: rb)
                    var current = [UInt8](repeating: 0, count: rb)
                    for py in 0..<ph {
                        let filter = src[at]
                        guard filter <= 4 else {
                            throw fail("IDAT", nil, "row \(rowIndex) (decompressed byte \(at)) has filter type \(filter); expected 0-4")
                        }
                        for i in 0..<rb {
                            let x = src[at + 1 + i]
                            let a = i >= bpp ? Int(current[i - bpp]) : 0
                            let b = Int(previous[i])
                            let c = i >= bpp ? Int(previous[i - bpp]) : 0
                            let v: Int
                            switch filter {
                            case 0: v = Int(x)
                            case 1: v = Int(x) + a
                            case 2: v = Int(x) + b
                            case 3: v = Int(x) + (a + b) / 2
                            default:
                                let p = a + b - c
                                let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                                v = Int(x) + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
                            }
                            current[i] = UInt8(truncatingIfNeeded: v)
                        }
                        at += 1 + rb
                        rowIndex += 1
                        let y = y0 + py * dy
                        for px in 0..<pw {
                            let x = x0 + px * dx
                            let o = (y * h.width + x) * outChannels
                            func sample(_ s: Int) -> Int {
                                let index = px * samples + s
                                switch h.depth {
                                case 8: return Int(current[index])
                                case 16: return Int(current[2 * index]) << 8 | Int(current[2 * index + 1])
                                default:
                                    let bit = index * h.depth
                                    let byte = Int(current[bit >> 3])
                                    return (byte >> (8 - h.depth - (bit & 7))) & maxValue
                                }
                            }
                            func eight(_ v: Int) -> UInt8 {
                                h.depth == 16 ? UInt8((v * 255 + 32767) / 65535)
                                    : h.depth == 8 ? UInt8(v) : UInt8(v * 255 / maxValue)
                            }
                            switch h.color {
                            case .grey, .greyAlpha:
                                dst[o] = eight(sample(0))
                            case .rgb, .rgba:
                                dst[o] = eight(sample(0)); dst[o + 1] = eight(sample(1)); dst[o + 2] = eight(sample(2))
                            case .palette:
                                let index = sample(0)
                                guard index < paletteEntries else {
                                    throw fail("IDAT", nil, "pixel (\(x), \(y)) uses palette index \(index); the palette has \(paletteEntries) entries")
                                }
                                dst[o] = palette![3 * index]; dst[o + 1] = palette![3 * index + 1]
                                dst[o + 2] = palette![3 * index + 2]
                            }
                        }
                        swap(&previous, &current)
                    }
                }
            }
        }
        return DecodedImage(width: h.width, height: h.height, channels: outChannels, pixels: out)
    }

    /// Encodes an image. `samples` holds `width * height * color.samples` values in the
    /// file's sample order (palette: indices), each below 2^depth; `palette` is RGB
    /// triples (palette images only). Rows use filter 0 except where `filters` cycles
    /// through other types (tests use it to cover every filter). Writes exactly the chunks
    /// IHDR, PLTE (when given), one or more IDAT (`idatChunkSize` bytes each), IEND.
    public static func encode(width: Int, height: Int, color: ColorType, depth: Int,
                              samples: [UInt16], palette: [UInt8]? = nil, interlaced: Bool = false,
                              filters: [UInt8] = [0], idatChunkSize: Int = 1 << 20) -> [UInt8] {
        precondition(color.allowedDepths.contains(depth) && samples.count == width * height * color.samples)
        let spp = color.samples
        let bpp = max(1, spp * depth / 8)
        var raw: [UInt8] = []
        var rowNumber = 0
        for (x0, y0, dx, dy, pw, ph) in passes(width: width, height: height, interlaced: interlaced) {
            let rb = rowBytes(width: pw, samples: spp, depth: depth)
            var previous = [UInt8](repeating: 0, count: rb)
            for py in 0..<ph {
                var row = [UInt8](repeating: 0, count: rb)
                let y = y0 + py * dy
                for px in 0..<pw {
                    let x = x0 + px * dx
                    for s in 0..<spp {
                        let v = Int(samples[(y * width + x) * spp + s])
                        let index = px * spp + s
                        switch depth {
                        case 8: row[index] = UInt8(v)
                        case 16: row[2 * index] = UInt8(v >> 8); row[2 * index + 1] = UInt8(v & 0xFF)
                        default:
                            let bit = index * depth
                            row[bit >> 3] |= UInt8(v << (8 - depth - (bit & 7)))
                        }
                    }
                }
                let filter = filters[rowNumber % filters.count]
                rowNumber += 1
                raw.append(filter)
                for i in 0..<rb {
                    let a = i >= bpp ? Int(row[i - bpp]) : 0
                    let b = Int(previous[i])
                    let c = i >= bpp ? Int(previous[i - bpp]) : 0
                    let predictor: Int
                    switch filter {
                    case 0: predictor = 0
                    case 1: predictor = a
                    case 2: predictor = b
                    case 3: predictor = (a + b) / 2
                    default:
                        let p = a + b - c
                        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                    }
                    raw.append(UInt8(truncatingIfNeeded: Int(row[i]) - predictor))
                }
                previous = row
            }
        }
        var out = signature
        func chunk(_ type: String, _ data: [UInt8]) {
            out += be32Bytes(UInt32(data.count))
            let body = Array(type.utf8) + data
            out += body
            out += be32Bytes(body.withUnsafeBytes { Inflate.crc32($0) })
        }
        var ihdr = be32Bytes(UInt32(width)) + be32Bytes(UInt32(height))
        ihdr += [UInt8(depth), color.rawValue, 0, 0, interlaced ? 1 : 0]
        chunk("IHDR", ihdr)
        if let palette { chunk("PLTE", palette) }
        let compressed = Inflate.deflate(raw)
        var start = 0
        repeat {
            let end = min(compressed.count, start + max(1, idatChunkSize))
            chunk("IDAT", Array(compressed[start..<end]))
            start = end
        } while start < compressed.count
        chunk("IEND", [])
        return out
    }

    /// An 8-bit grey (1 channel) or RGB (3 channels) PNG of interleaved `pixels`.
    public static func encode(_ image: DecodedImage) -> [UInt8] {
        encode(width: image.width, height: image.height, color: image.channels == 1 ? .grey : .rgb,
               depth: 8, samples: image.pixels.map(UInt16.init))
    }
}

func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
}

func be32Bytes(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// A chunk or member name for messages: ASCII as is, anything else as hex.
func printable(_ bytes: [UInt8]) -> String {
    bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F } ? String(decoding: bytes, as: UTF8.self) : hex(bytes)
}
