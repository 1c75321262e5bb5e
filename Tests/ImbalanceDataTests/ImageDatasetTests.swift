import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

final class ImageDatasetTests: XCTestCase {
    /// 5 images of 2x1x2 (C=2, H=1, W=2), 3 classes; image i has pixels 10i+0...10i+3.
    private func small() -> ImageDataset {
        let pixels = (0..<5).flatMap { i in (0..<4).map { UInt8(10 * i + $0) } }
        return ImageDataset(name: "toy", channels: 2, height: 1, width: 2, pixels: pixels,
                            labels: [2, 0, 2, 1, 0], classNames: ["a", "b", "c"])
    }

    func testCountsAndIndices() {
        let d = small()
        XCTAssertEqual(d.count, 5)
        XCTAssertEqual(d.sampleSize, 4)
        XCTAssertEqual(d.classCount, 3)
        XCTAssertEqual(d.classCounts(), [2, 1, 2])
        XCTAssertEqual(d.indicesByClass(), [[1, 4], [3], [0, 2]])
    }

    func testSubsetPreservesOrderAndRepeats() {
        let s = small().subset([3, 0, 3, 4])
        XCTAssertEqual(s.count, 4)
        XCTAssertEqual(s.labels, [1, 2, 1, 0])
        XCTAssertEqual(s.pixels, [30, 31, 32, 33, 0, 1, 2, 3, 30, 31, 32, 33, 40, 41, 42, 43])
        XCTAssertEqual(s.classNames, ["a", "b", "c"])
        XCTAssertEqual(small().subset([]).count, 0)
    }

    func testFillBatchScalesAndWritesLabels() {
        let d = small()
        let order = [9, 4, 1, 9]   // a slice in the middle of an epoch order
        var out = [Float](repeating: -1, count: 2 * 4 + 1)
        var labels = [Int](repeating: -1, count: 3)
        out.withUnsafeMutableBufferPointer { o in
            labels.withUnsafeMutableBufferPointer { l in
                d.fillBatch(indices: order[1...2], into: o.baseAddress!, labels: l.baseAddress!,
                            scale: ImageDataset.caffeScale)
            }
        }
        XCTAssertEqual(Array(out.prefix(8)), [40, 41, 42, 43, 10, 11, 12, 13].map { Float($0) / 256 })
        XCTAssertEqual(out[8], -1, "wrote past the batch")
        XCTAssertEqual(labels, [0, 0, -1])
        let (p, l) = d.batch(indices: [2], scale: 1)
        XCTAssertEqual(p, [20, 21, 22, 23])
        XCTAssertEqual(l, [2])
    }
}
