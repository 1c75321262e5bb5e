import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

final class IDXTests: XCTestCase {
    func testImageAndLabelRoundTripRawAndGzip() throws {
        let dir = try TempDir()
        let pixels = pattern(7 * 5 * 3)
        let labels: [UInt8] = [3, 1, 4, 1, 5, 9, 2]
        let images = idxBytes(dims: [7, 5, 3], data: pixels)
        let labelFile = idxBytes(dims: [7], data: labels)
        try dir.write("raw-images", images)
        try dir.write("raw-labels", labelFile)
        try dir.write("gz-images.gz", Gzip.compress(images))
        try dir.write("gz-labels.gz", Gzip.compress(labelFile))

        for name in ["raw-images", "gz-images", "gz-images.gz"] {   // base name finds .gz too
            let read = try IDXFile.readImages(at: dir.file(name))
            XCTAssertEqual(read, IDXImages(count: 7, rows: 5, cols: 3, pixels: pixels), name)
        }
        XCTAssertEqual(try IDXFile.readLabels(at: dir.file("raw-labels")), labels)
        XCTAssertEqual(try IDXFile.readLabels(at: dir.file("gz-labels")), labels)
        // A `.gz` name for a file stored raw: the name without `.gz` is found.
        XCTAssertEqual(try IDXFile.readLabels(at: dir.file("raw-labels.gz")), labels)
    }

    func testWrongMagic() throws {
        let dir = try TempDir()
        let p = try dir.write("images", [0x12, 0x34] + idxBytes(dims: [1, 1, 1], data: [0]).dropFirst(2))
        assertDataError(try IDXFile.readImages(at: p), contains: [p, "magic", "0x00000803", "0x12340803"])
        let labels = try dir.write("labels", idxBytes(dims: [1], data: [0]))
        assertDataError(try IDXFile.readImages(at: labels),
                        contains: [labels, "magic (dimension count)", "expected 3", "found 1"])
        let floats = try dir.write("floats", idxBytes(dims: [1, 1, 1], data: [0], type: 0x0D))
        assertDataError(try IDXFile.readImages(at: floats),
                        contains: [floats, "magic (data type)", "0x08", "0x0d", "float32"])
    }

    func testWrongDimensionCount() throws {
        let dir = try TempDir()
        let p = try dir.write("images", idxBytes(dims: [2, 2], data: [0, 0, 0, 0]))
        assertDataError(try IDXFile.readImages(at: p),
                        contains: [p, "magic (dimension count)", "expected 3 dimension(s)", "found 2"])
        let q = try dir.write("labels", idxBytes(dims: [2, 1], data: [0, 0]))
        assertDataError(try IDXFile.readLabels(at: q),
                        contains: [q, "magic (dimension count)", "expected 1 dimension(s)", "found 2"])
    }

    func testZeroAndOverflowingDimensions() throws {
        let dir = try TempDir()
        let zero = try dir.write("zero", idxBytes(dims: [3, 0, 4], data: []))
        assertDataError(try IDXFile.readImages(at: zero), contains: [zero, "dimension 1 (rows)", "byte 8", "non-zero"])
        let huge = try dir.write("huge", idxBytes(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: []))
        assertDataError(try IDXFile.readImages(at: huge), contains: [huge, "dimension 1 (rows)", "byte 8", "overflows"])
        let shortHeader = try dir.write("short", Array(idxBytes(dims: [1, 1, 1], data: []).prefix(9)))
        assertDataError(try IDXFile.readImages(at: shortHeader), contains: [shortHeader, "truncated header", "16"])
    }

    func testTruncatedAndTrailingData() throws {
        let dir = try TempDir()
        let cut = try dir.write("cut", idxBytes(dims: [4, 2, 2], data: pattern(15)))
        assertDataError(try IDXFile.readImages(at: cut),
                        contains: [cut, "data", "truncated data", "4 x 2 x 2 = 16 bytes", "found only 15"])
        let long = try dir.write("long", idxBytes(dims: [4, 2, 2], data: pattern(17)))
        assertDataError(try IDXFile.readImages(at: long),
                        contains: [long, "data", "trailing bytes", "byte 32", "1 extra"])
        let gz = try dir.write("long.gz", Gzip.compress(idxBytes(dims: [3], data: pattern(4))))
        assertDataError(try IDXFile.readLabels(at: gz),
                        contains: [gz, "trailing bytes", "byte 11 of the decompressed data"])
    }

    func testEmptyFileAndDirectoryAndMissing() throws {
        let dir = try TempDir()
        let empty = try dir.write("empty", [])
        assertDataError(try IDXFile.readImages(at: empty), contains: [empty, "file is empty", "0x00000803"])
        let emptyGz = try dir.write("empty-content.gz", Gzip.compress([]))
        assertDataError(try IDXFile.readLabels(at: emptyGz), contains: [emptyGz, "gzip content is empty"])
        let sub = try dir.makeDirectory("train-images-idx3-ubyte")
        assertDataError(try IDXFile.readImages(at: sub), contains: [sub, "is a directory"])
        assertDataError(try IDXFile.readImages(at: dir.file("absent")),
                        contains: [dir.file("absent"), "no such file", dir.file("absent.gz")])
    }

    func testCorruptGzipIDXNamesFile() throws {
        let dir = try TempDir()
        let good = Gzip.compress(idxBytes(dims: [100], data: pattern(100)))
        var gz = good
        gz[gz.count - 6] ^= 0x40   // inside the CRC-32
        let p = try dir.write("labels.gz", gz)
        assertDataError(try IDXFile.readLabels(at: p), contains: [p, "CRC-32 mismatch"])
        let cut = try dir.write("cut.gz", Array(good.prefix(good.count - 3)))
        assertDataError(try IDXFile.readLabels(at: cut), contains: [cut, "truncated gzip data"])
    }
}
