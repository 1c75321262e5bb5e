// libFuzzer target for the PNG decoder.
//
// Input: the bytes of a PNG file, as `ImageFile.decode` sees a file after reading it whole.
// Each input is decoded twice: as it is, and with every chunk's CRC recomputed, so that
// mutations inside chunks reach the header, palette, zlib, filter and Adam7 code instead of
// stopping at the CRC check. Checks: refused input gives a `DataError` naming the file; an
// accepted image has exactly width x height x channels bytes, 1 or 3 channels, within the
// pixel limit; and encoding the decoded image and decoding that again gives it back.
@testable import ImbalanceData

/// `bytes` with the CRC of every complete chunk after the signature recomputed.
func withFixedCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    var at = 8
    while at + 12 <= b.count {
        let length = Int(be32(b, at))
        guard length <= b.count - at - 12 else { break }
        let crc = b.withUnsafeBytes { Inflate.crc32(UnsafeRawBufferPointer(rebasing: $0[(at + 4)..<(at + 8 + length)])) }
        b.replaceSubrange((at + 8 + length)..<(at + 12 + length), with: be32Bytes(crc))
        at += 12 + length
    }
    return b
}

func checkPNG(_ input: [UInt8], path: String) {
    let limit = 1 << 20   // keeps each execution fast; the check is the same as the default's
    do {
        let image = try PNGFile.decode(input, path: path, maxPixels: limit)
        require(image.channels == 1 || image.channels == 3, "\(image.channels) channels")
        require(image.width * image.height <= limit, "image above the pixel limit accepted")
        require(image.pixels.count == image.width * image.height * image.channels, "pixel count differs from the shape")
        let again = try PNGFile.decode(PNGFile.encode(image), path: "round-trip.png")
        require(again == image, "re-encoded image decodes differently")
    } catch {
        requireDataError(error, path: path)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    checkPNG(input, path: "fuzz-input.png")
    checkPNG(withFixedCRCs(input), path: "fuzz-input-crc-fixed.png")
    return 0
}
