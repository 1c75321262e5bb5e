// libFuzzer target for JPEG decoding (libjpeg-turbo through the CJPEGDecode shim).
//
// Input: the bytes of a JPEG file. Checks: refused input gives a `DataError` naming the
// file (libjpeg's errors and warnings become errors, never a longjmp into Swift or an
// exit); an accepted image has the header's size and exactly width x height x channels
// bytes; decoding is deterministic (twice, the same bytes).
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.jpg"
    do {
        let image = try JPEGFile.decode(input, path: path, maxPixels: 1 << 20)
        let info = try JPEGFile.info(input, path: path)
        require(info.width == image.width && info.height == image.height, "header and image sizes differ")
        require(image.pixels.count == image.width * image.height * image.channels, "pixel count differs from the shape")
        let again = try JPEGFile.decode(input, path: path, maxPixels: 1 << 20)
        require(again == image, "decoding is not deterministic")
    } catch {
        requireDataError(error, path: path)
    }
    return 0
}
