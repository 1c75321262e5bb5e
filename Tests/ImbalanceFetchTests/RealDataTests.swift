import XCTest
import ImbalanceData
@testable import ImbalanceFetch

/// verify and info on the real files: ../shared/datasets (MNIST recompressed, CIFAR-10
/// rebuilt) and Debian's Fashion-MNIST. Each test skips when its files are absent.
final class RealDataTests: XCTestCase {
    static let shared = URL(fileURLWithPath: repositoryRoot + "/../shared/datasets").standardized.path
    static let mnist = shared + "/mnist"
    static let fashion = "/usr/share/datasets/fashion-mnist"
    static let cifar10 = shared + "/cifar-10-batches-bin"

    /// Hashes are shared across the tests of this class (hashing is the slow part).
    nonisolated(unsafe) static var cache = HashCache()

    private func store() throws -> ManifestStore { try ManifestStore(directory: ManifestTests.directory) }

    private func require(_ path: String) throws {
        guard DataLocation.regularFileExists(path) else { throw XCTSkip("\(path) not present") }
    }

    func testVerifySharedMNISTArchiveDiffersContentMatches() throws {
        try require(Self.mnist + "/train-images-idx3-ubyte.gz")
        let report = try Verifier.verify(store().manifest(named: "mnist"), directory: Self.mnist, cache: Self.cache)
        XCTAssertEqual(report.files.count, 4)
        for f in report.files {
            XCTAssertEqual(f.status, .contentMatches, "\(f.name): \(f.detail)")
            XCTAssertEqual(f.statusText, "archive differs from the official download, content matches")
            XCTAssertTrue(f.detail.contains("decompressed content matches"), f.detail)
        }
        XCTAssertFalse(report.hasProblems)
        // Recognised by content without --dataset.
        let identified = try Verifier.identify(directory: Self.mnist, store: store(), cache: Self.cache)
        XCTAssertEqual(identified.first?.manifest.name, "mnist")
        XCTAssertEqual(identified.first?.matchCount, 4)
    }

    func testInfoSharedMNISTPrintsOfficialCounts() throws {
        try require(Self.mnist + "/train-images-idx3-ubyte.gz")
        let info = try Inspector.inspect(store().manifest(named: "mnist"), directory: Self.mnist, cache: Self.cache)
        XCTAssertEqual(info.splits.map(\.name), ["train", "test"])
        XCTAssertEqual(info.splits[0].classCounts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        XCTAssertEqual(info.splits[1].classCounts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        XCTAssertEqual(info.splits.map(\.matchesOfficial), [true, true])
        XCTAssertEqual(info.verification.files.first?.hashes?.content?.md5, "6bbc9ace898e44ae57da46a324031adb")
    }

    func testDebianFashionMNIST() throws {
        try require(Self.fashion + "/train-images-idx3-ubyte.gz")
        let identified = try Verifier.identify(directory: Self.fashion, store: store(), cache: Self.cache)
        XCTAssertEqual(identified.first?.manifest.name, "fashion-mnist")
        let report = try XCTUnwrap(identified.first)
        XCTAssertEqual(report.files.map(\.status), Array(repeating: .contentMatches, count: 4),
                       report.files.map(\.detail).joined(separator: "\n"))
        let info = try Inspector.inspect(report.manifest, directory: Self.fashion, cache: Self.cache)
        XCTAssertEqual(info.splits[0].classCounts, Array(repeating: 6_000, count: 10))
        XCTAssertEqual(info.splits[1].classCounts, Array(repeating: 1_000, count: 10))
        XCTAssertEqual(info.splits.map(\.matchesOfficial), [true, true])
        // The other manifest with the same file names does not claim these files.
        let asMNIST = try Verifier.verify(store().manifest(named: "mnist"), directory: Self.fashion, cache: Self.cache)
        XCTAssertEqual(asMNIST.count(.differs), 4)
        XCTAssertTrue(asMNIST.hasProblems)
    }

    func testSharedCIFAR10IsRecognisedButNotOfficial() throws {
        try require(Self.cifar10 + "/test_batch.bin.gz")
        let manifest = try store().manifest(named: "cifar-10")
        let report = try Verifier.verify(manifest, directory: Self.cifar10, cache: Self.cache)
        let byName = Dictionary(uniqueKeysWithValues: report.files.map { ($0.name, $0) })
        XCTAssertEqual(byName["cifar-10-binary.tar.gz"]?.status, .missing)
        XCTAssertEqual(byName["data_batch_1.bin"]?.status, .unverifiable)
        XCTAssertTrue(byName["data_batch_1.bin"]?.detail.contains("size matches") ?? false)
        XCTAssertEqual(byName["data_batch_2.bin"]?.status, .missing)
        XCTAssertTrue(report.hasProblems, "four training batches are missing")

        let info = try Inspector.inspect(manifest, directory: Self.cifar10, cache: Self.cache)
        XCTAssertEqual(info.splits[0].classCounts, [974, 945, 999, 1019, 979, 983, 1011, 1009, 1060, 1021])
        XCTAssertEqual(info.splits[0].matchesOfficial, false)
        XCTAssertEqual(info.splits[1].classCounts, Array(repeating: 1_000, count: 10))
        XCTAssertEqual(info.splits[1].matchesOfficial, true)
    }
}
