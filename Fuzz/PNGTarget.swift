// libFuzzer target for the PNG decoder.
//
// Input: the bytes of a PNG file, as `ImageFile.decode` sees a file after reading it whole.
// Checks: refused input gives a `DataError` naming the file; an accepted image has exactly
// width x height x channels bytes, 1 or 3 channels, within the pixel limit; and encoding
// the decoded image and decoding that again gives it back unchanged.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.png"
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
    return 0
}
