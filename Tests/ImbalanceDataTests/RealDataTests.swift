import XCTest
import ImbalanceRandom
@testable import ImbalanceData
import ImbalanceTestSupport

/// Checks against the real datasets; skipped where they are not present.
final class RealDataTests: XCTestCase {
    /// `../shared/datasets/mnist` from the repository root, which is three levels above
    /// this file (Tests/ImbalanceDataTests/RealDataTests.swift).
    static let mnistDirectory: String = {
        var root = "\(#filePath)"
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        return DataLocation.normalize(root + "/../shared/datasets/mnist")
    }()

    static let mnistTrainCounts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    static let mnistTestCounts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

    /// Loaded once for all tests in this class: decompressing takes a while in debug builds.
    nonisolated(unsafe) static var cachedMNIST: DatasetSplits?

    private func mnist() throws -> DatasetSplits {
        if let cached = Self.cachedMNIST { return cached }
        guard DataLocation.regularFileExists(Self.mnistDirectory + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("real MNIST not found at \(Self.mnistDirectory)")
        }
        let splits = try loadIDXDataset(kind: .mnist, directory: Self.mnistDirectory)
        Self.cachedMNIST = splits
        return splits
    }

    func testMNISTOfficialCounts() throws {
        let splits = try mnist()
        XCTAssertEqual(splits.train.count, 60_000)
        XCTAssertEqual(splits.test.count, 10_000)
        XCTAssertEqual(splits.train.classCounts(), Self.mnistTrainCounts)
        XCTAssertEqual(splits.test.classCounts(), Self.mnistTestCounts)
        XCTAssertEqual(splits.train.pixels.count, 60_000 * 784)
        XCTAssertEqual(splits.train.pixels.max(), 255)
    }

    func testMNISTBaseSet() throws {
        let train = try mnist().train
        var rng = RandomStream(seed: 42, label: "base-set")
        let a = BaseSet.capPerClass(train, maxPerClass: 5_000, rng: &rng)
        XCTAssertEqual(a.count, 50_000)
        XCTAssertEqual(a, a.sorted())
        XCTAssertEqual(Set(a).count, a.count, "subsample must be without replacement")
        XCTAssertEqual(train.subset(a).classCounts(), [Int](repeating: 5_000, count: 10))

        var same = RandomStream(seed: 42, label: "base-set")
        XCTAssertEqual(BaseSet.capPerClass(train, maxPerClass: 5_000, rng: &same), a)
        var other = RandomStream(seed: 43, label: "base-set")
        XCTAssertNotEqual(BaseSet.capPerClass(train, maxPerClass: 5_000, rng: &other), a)

        var unused = RandomStream(seed: 1)
        XCTAssertEqual(BaseSet.capPerClass(train, maxPerClass: nil, rng: &unused), Array(0..<60_000))
    }

    func testMNISTThroughLocationRule() throws {
        _ = try mnist()   // skips when absent
        let r = try DataLocation.resolve(.mnist, explicitDirectory: Self.mnistDirectory)
        XCTAssertEqual(r.directory, Self.mnistDirectory)
        XCTAssertEqual(r.rule, .explicit)
    }

    func testFashionMNISTFromDebianPackage() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        guard DataLocation.regularFileExists(dir + "/train-labels-idx1-ubyte.gz") else {
            throw XCTSkip("dataset-fashion-mnist is not installed")
        }
        let splits = try loadIDXDataset(kind: .fashionMNIST, directory: dir)
        XCTAssertEqual(splits.train.classCounts(), [Int](repeating: 6_000, count: 10))
        XCTAssertEqual(splits.test.classCounts(), [Int](repeating: 1_000, count: 10))
    }
}
