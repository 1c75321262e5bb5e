import XCTest
import ImbalanceRandom
@testable import ImbalanceData
import ImbalanceTestSupport

final class BaseSetTests: XCTestCase {
    func testCapsOnlyLargeClassesAndKeepsSmallOnes() {
        // Class sizes 12, 3, 7 (labels interleaved).
        let labels = (0..<12).map { _ in 0 } + (0..<3).map { _ in 1 } + (0..<7).map { _ in 2 }
        var order = Array(labels.indices)
        var shuffler = RandomStream(seed: 5)
        shuffler.shuffle(&order)
        let shuffled = order.map { labels[$0] }
        let d = ImageDataset(name: "t", channels: 1, height: 1, width: 1,
                             pixels: [UInt8](repeating: 0, count: shuffled.count),
                             labels: shuffled, classNames: ["a", "b", "c"])
        var rng = RandomStream(seed: 9)
        let kept = BaseSet.capPerClass(d, maxPerClass: 5, rng: &rng)
        XCTAssertEqual(kept, kept.sorted())
        XCTAssertEqual(d.subset(kept).classCounts(), [5, 3, 5])
        XCTAssertEqual(Set(kept).count, kept.count)
        var again = RandomStream(seed: 9)
        XCTAssertEqual(BaseSet.capPerClass(d, maxPerClass: 5, rng: &again), kept)
        var big = RandomStream(seed: 9)
        XCTAssertEqual(BaseSet.capPerClass(d, maxPerClass: 100, rng: &big), Array(0..<22))
    }
}
