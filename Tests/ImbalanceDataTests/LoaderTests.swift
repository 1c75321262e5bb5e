import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

final class LoaderTests: XCTestCase {
    func testLoadsRawAndGzipDirectories() throws {
        for gzip in [false, true] {
            let dir = try TempDir()
            let labels = try writeSmallDataset(in: dir.path, gzip: gzip)
            let splits = try loadIDXDataset(kind: .fashionMNIST, directory: dir.path)
            XCTAssertEqual(splits.directory, dir.path)
            XCTAssertEqual(splits.train.count, 30)
            XCTAssertEqual(splits.test.count, 10)
            XCTAssertEqual(splits.train.labels, labels.map(Int.init))
            XCTAssertEqual(splits.train.pixels, pattern(30 * 784))
            XCTAssertEqual(splits.train.classNames[9], "Ankle boot")
            XCTAssertEqual(splits.train.name, "fashion-mnist/train")
            XCTAssertEqual(splits.test.classCounts(), [Int](repeating: 1, count: 10))
        }
    }

    func testLabelCountMismatch() throws {
        let dir = try TempDir()
        try writeSmallDataset(in: dir.path, gzip: false)
        let p = try dir.write("train-labels-idx1-ubyte", idxBytes(dims: [29], data: pattern(29).map { $0 % 10 }))
        assertDataError(try loadIDXDataset(kind: .mnist, directory: dir.path),
                        contains: [p, "dimension 0 (count)", "expected 30 labels", "found 29",
                                   dir.file("train-images-idx3-ubyte")])
    }

    func testLabelOutOfRange() throws {
        let dir = try TempDir()
        try writeSmallDataset(in: dir.path, gzip: true, labelFor: { $0 == 17 ? 10 : UInt8($0 % 10) })
        assertDataError(try loadIDXDataset(kind: .mnist, directory: dir.path),
                        contains: [dir.file("train-labels-idx1-ubyte.gz"), "label[17]", "index 17",
                                   "found 10", "0..<10", "byte 25 of the decompressed data"])
    }

    func testWrongImageShapeAndMissingFiles() throws {
        let dir = try TempDir()
        try writeSmallDataset(in: dir.path, gzip: false)
        let p = try dir.write("t10k-images-idx3-ubyte", idxBytes(dims: [10, 32, 28], data: pattern(10 * 32 * 28)))
        assertDataError(try loadIDXDataset(kind: .mnist, directory: dir.path),
                        contains: [p, "dimension 1 (rows)", "expected 28 rows", "found 32"])
        let empty = try TempDir()
        assertDataError(try loadIDXDataset(kind: .mnist, directory: empty.path),
                        contains: [empty.file("train-images-idx3-ubyte"), "no such file"])
        assertDataError(try loadIDXDataset(kind: .mnist, directory: empty.file("nope")),
                        contains: [empty.file("nope"), "no such directory"])
        let sub = try empty.makeDirectory("train-images-idx3-ubyte.gz")
        assertDataError(try loadIDXDataset(kind: .mnist, directory: empty.path),
                        contains: [sub, "is a directory"])
    }

    func testParseMaxPerClass() throws {
        XCTAssertNil(try BaseSet.parseMaxPerClass("all"))
        XCTAssertEqual(try BaseSet.parseMaxPerClass("5000"), 5000)
        assertDataError(try BaseSet.parseMaxPerClass("0"), contains: ["--max-per-class", "'0'"])
        assertDataError(try BaseSet.parseMaxPerClass("many"), contains: ["--max-per-class", "'many'"])
    }
}
