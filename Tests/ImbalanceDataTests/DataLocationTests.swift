import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

/// The location rule against a fake file system: a set of existing file paths.
final class DataLocationTests: XCTestCase {
    private let names = DatasetKind.mnist.files.all

    private func files(in dir: String, gz: Bool = true, except: Set<String> = []) -> Set<String> {
        Set(names.filter { !except.contains($0) }.map { dir + "/" + $0 + (gz ? ".gz" : "") })
    }

    private func resolve(_ kind: DatasetKind, explicit: String? = nil, env: [String: String] = ["HOME": "/home/u"],
                         existing: Set<String>) throws -> DataLocation.Resolution {
        try DataLocation.resolve(kind, explicitDirectory: explicit, environment: env,
                                 currentDirectory: "/work/main", fileExists: { existing.contains($0) })
    }

    func testExplicitDirectoryWinsAndDoesNotFallBack() throws {
        let everywhere = files(in: "/d") .union(files(in: "/home/u/.cache/imbench/mnist"))
        let r = try resolve(.mnist, explicit: "/d", env: ["HOME": "/home/u", "IMBENCH_DATA_DIR": "/e"], existing: everywhere)
        XCTAssertEqual(r.directory, "/d")
        XCTAssertEqual(r.rule, .explicit)
        XCTAssertEqual(try resolve(.mnist, explicit: "rel/../d2", existing: files(in: "/work/main/d2", gz: false)).directory,
                       "/work/main/d2")
        XCTAssertEqual(try resolve(.mnist, explicit: "~/data", existing: files(in: "/home/u/data/mnist")).directory,
                       "/home/u/data/mnist")
        do {
            _ = try resolve(.mnist, explicit: "/wrong", existing: everywhere)
            XCTFail("an explicit directory without the files must not fall back")
        } catch let error as DataLocationError {
            XCTAssertEqual(error.attempts.map(\.path), ["/wrong", "/wrong/mnist"])
            XCTAssertTrue(error.description.contains("--data-dir"))
        }
    }

    func testEnvironmentVariableSubfolderThenDirect() throws {
        let env = ["HOME": "/home/u", "IMBENCH_DATA_DIR": "/e"]
        let sub = try resolve(.fashionMNIST, env: env, existing: files(in: "/e/fashion-mnist").union(files(in: "/e")))
        XCTAssertEqual(sub.directory, "/e/fashion-mnist")
        XCTAssertEqual(sub.rule, .environment)
        let direct = try resolve(.mnist, env: env, existing: files(in: "/e", gz: false))
        XCTAssertEqual(direct.directory, "/e")
        XCTAssertEqual(direct.rule, .environment)
        XCTAssertEqual(direct.skipped.map(\.path), ["/e/mnist"])
    }

    func testEnvironmentWithoutDatasetFallsThroughAndIsReported() throws {
        let env = ["HOME": "/home/u", "IMBENCH_DATA_DIR": "/e"]
        let r = try resolve(.fashionMNIST, env: env,
                            existing: files(in: "/e/mnist").union(files(in: "/usr/share/datasets/fashion-mnist")))
        XCTAssertEqual(r.directory, "/usr/share/datasets/fashion-mnist")
        XCTAssertEqual(r.rule, .standard)
        XCTAssertEqual(r.skipped.map(\.path), ["/e/fashion-mnist", "/e"])
    }

    func testStandardOrder() throws {
        let cache = "/home/u/.cache/imbench/mnist", local = "/work/main/data/mnist", shared = "/work/shared/datasets/mnist"
        XCTAssertEqual(try resolve(.mnist, existing: files(in: shared)).directory, shared)
        XCTAssertEqual(try resolve(.mnist, existing: files(in: shared).union(files(in: local))).directory, local)
        XCTAssertEqual(try resolve(.mnist, existing: files(in: shared).union(files(in: cache))).directory, cache)
        let debian = "/usr/share/datasets/fashion-mnist"
        XCTAssertEqual(try resolve(.fashionMNIST, existing: files(in: debian).union(files(in: "/home/u/.cache/imbench/fashion-mnist"))).directory, debian)
        XCTAssertEqual(try resolve(.fashionMNIST, existing: files(in: "/work/main/data/fashion-mnist")).directory,
                       "/work/main/data/fashion-mnist")
    }

    func testPartialDirectoryIsNotAMatch() throws {
        let partial = files(in: "/home/u/.cache/imbench/mnist", except: ["t10k-labels-idx1-ubyte"])
        let r = try? resolve(.mnist, existing: partial)
        XCTAssertNil(r)
        do {
            _ = try resolve(.mnist, existing: partial)
        } catch let error as DataLocationError {
            XCTAssertEqual(error.attempts.first?.problem, "missing t10k-labels-idx1-ubyte[.gz]")
        }
    }

    func testNothingFoundListsEveryPlaceAndFixes() {
        do {
            _ = try resolve(.fashionMNIST, env: ["HOME": "/home/u", "IMBENCH_DATA_DIR": "/e"], existing: [])
            XCTFail("expected DataLocationError")
        } catch let error as DataLocationError {
            let text = error.description
            for place in ["/e/fashion-mnist", "/e", "/usr/share/datasets/fashion-mnist",
                          "/home/u/.cache/imbench/fashion-mnist", "/work/main/data/fashion-mnist",
                          "apt-get install dataset-fashion-mnist", "--data-dir", "IMBENCH_DATA_DIR"] {
                XCTAssertTrue(text.contains(place), "\(text)\nlacks \(place)")
            }
            XCTAssertEqual(error.attempts.count, 5)
        } catch {
            XCTFail("unexpected \(error)")
        }
        do {
            _ = try resolve(.mnist, env: [:], existing: [])
        } catch let error as DataLocationError {
            XCTAssertEqual(error.attempts.map(\.path), ["~/.cache/imbench/mnist", "/work/main/data/mnist",
                                                       "/work/shared/datasets/mnist"])
            XCTAssertEqual(error.attempts.first?.problem, "HOME is not set")
            XCTAssertFalse(error.description.contains("apt-get"))
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    func testNormalize() {
        XCTAssertEqual(DataLocation.normalize("/a/./b/../c/"), "/a/c")
        XCTAssertEqual(DataLocation.normalize("/../x"), "/x")
        XCTAssertEqual(DataLocation.normalize("../x/./y"), "../x/y")
    }
}
