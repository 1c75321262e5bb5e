// libFuzzer target for the IDX reader (MNIST/Fashion-MNIST files).
//
// Input: the bytes of an IDX file, plain or gzip-compressed, exactly as `IDXFile.readImages`
// and `readLabels` see a file after reading it whole. The target runs the readers' own steps
// (`Gzip.decompressIfNeeded`, then `IDXFile.parse` as an image and as a label file, then the
// `IDXImages` the image reader returns) and checks what they promise: refused input gives a
// `DataError` naming the file, accepted input has exactly the bytes its header declares.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input-idx3-ubyte"
    let content: [UInt8]
    let compressed: Bool
    do {
        (content, compressed) = try Gzip.decompressIfNeeded(input, path: path)
    } catch {
        requireDataError(error, path: path)
        return 0
    }
    require(compressed == Gzip.hasGzipMagic(input), "gzip detection disagrees with the magic")

    do {
        let array = try IDXFile.parse(content, path: path, compressed: compressed,
                                      expectedDimensions: 3, role: "image")
        require(array.dimensions.count == 3, "image file with \(array.dimensions.count) dimensions")
        let images = IDXImages(count: array.dimensions[0], rows: array.dimensions[1],
                               cols: array.dimensions[2], pixels: array.data)
        require(images.count > 0 && images.rows > 0 && images.cols > 0, "empty dimension accepted")
        require(content.count == 16 + images.pixels.count, "accepted data of the wrong length")
        require(images.pixels[...] == content[16...], "pixels differ from the file's data")
    } catch {
        requireDataError(error, path: path)
    }

    do {
        let array = try IDXFile.parse(content, path: path, compressed: compressed,
                                      expectedDimensions: 1, role: "label")
        require(array.dimensions.count == 1, "label file with \(array.dimensions.count) dimensions")
        require(array.dimensions[0] == array.data.count, "label count differs from the header")
        require(content.count == 8 + array.data.count, "accepted data of the wrong length")
        require(array.data[...] == content[8...], "labels differ from the file's data")
    } catch {
        requireDataError(error, path: path)
    }
    return 0
}
