import XCTest
import ImbalanceData
@testable import ImbalanceFetch

/// The manifests in datasets/: they parse, validate, agree with the readers, and every
/// established checksum names its source.
final class ManifestTests: XCTestCase {
    static let directory = repositoryRoot + "/datasets"

    func testAllManifestsLoadAndAgreeWithTheReaders() throws {
        let store = try ManifestStore(directory: Self.directory)
        XCTAssertEqual(Set(store.names), ["mnist", "fashion-mnist", "cifar-10", "cifar-100"])
        for m in store.manifests {
            let kind = try XCTUnwrap(m.kind, "\(m.name) has no reader kind")
            XCTAssertEqual(m.classNames, kind.classNames, m.name)
            XCTAssertEqual(m.imageShape.channels, kind.imageShape.channels, m.name)
            XCTAssertEqual(m.imageShape.height, kind.imageShape.height, m.name)
            XCTAssertEqual(m.imageShape.width, kind.imageShape.width, m.name)
            XCTAssertEqual(try store.manifest(named: kind.rawValue).name, m.name, "lookup by reader name")
            XCTAssertFalse(m.mirrors.isEmpty)
            let canonical = ["mnist": "yann.lecun.com", "fashion-mnist": "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
                             "cifar-10": "www.cs.toronto.edu", "cifar-100": "www.cs.toronto.edu"]
            XCTAssertEqual(URL(string: m.mirrors[0].url)?.host, canonical[m.name], "\(m.name): the canonical host comes first")
            for f in m.files {
                // Downloads: SHA-256 and MD5 are both established for the four datasets.
                XCTAssertNotNil(f.sha256, "\(m.name)/\(f.name)")
                XCTAssertNotNil(f.md5, "\(m.name)/\(f.name)")
                XCTAssertNotNil(f.size, "\(m.name)/\(f.name)")
                for key in ["sha256", "md5", "size"] {
                    XCTAssertFalse((f.sources?[key] ?? "").isEmpty, "\(m.name)/\(f.name): no source for \(key)")
                }
                if let c = f.content {
                    if c.sha256 != nil { XCTAssertFalse((c.sources?["sha256"] ?? "").isEmpty) }
                    if c.md5 != nil { XCTAssertFalse((c.sources?["md5"] ?? "").isEmpty) }
                }
                for member in f.members ?? [] where member.sha256 == nil && member.md5 == nil {
                    XCTAssertFalse((member.note ?? "").isEmpty, "\(member.path): a null checksum needs a note")
                }
            }
        }
        XCTAssertEqual(try store.manifest(named: "cifar10").name, "cifar-10")
        XCTAssertEqual(try store.manifest(named: "CIFAR-100").coarseClassNames, CIFARClassNames.cifar100Coarse)
        XCTAssertThrowsError(try store.manifest(named: "imagenet"))
    }

    func testManifestDirectoryIsFoundFromTheBinary() {
        let found = ManifestStore.locateDirectory(explicit: nil, executablePath: repositoryRoot + "/.build/release/imbench",
                                                  environment: [:], currentDirectory: "/nowhere")
        XCTAssertEqual(found, Self.directory)
        XCTAssertEqual(ManifestStore.locateDirectory(explicit: "/x", executablePath: "/a/b", environment: ["IMBENCH_MANIFESTS": "/y"],
                                                     currentDirectory: "/"), "/x")
        XCTAssertEqual(ManifestStore.locateDirectory(explicit: nil, executablePath: "/a/b", environment: ["IMBENCH_MANIFESTS": "/y"],
                                                     currentDirectory: "/"), "/y")
    }

    func testValidationCatchesTypos() throws {
        var m = testManifest(files: [("a", [1, 2, 3])], mirrors: ["http://127.0.0.1/x/"])
        XCTAssertNoThrow(try m.validate(source: "t"))
        m.files[0].sha256 = "ABC"
        XCTAssertThrowsError(try m.validate(source: "t")) { XCTAssertTrue("\($0)".contains("sha256"), "\($0)") }
        m = testManifest(files: [("a", [1])], mirrors: ["ftp://host/"])
        XCTAssertThrowsError(try m.validate(source: "t"))
        m = testManifest(files: [("a", [1])], mirrors: ["http://host/"])
        m.splits = [.init(name: "train", images: 3, classCounts: [1, 1], classCountsSource: nil, files: [])]
        XCTAssertThrowsError(try m.validate(source: "t")) { XCTAssertTrue("\($0)".contains("sum"), "\($0)") }
        m.splits = []
        m.files[0].members = [.init(path: "x", target: "../evil")]
        XCTAssertThrowsError(try m.validate(source: "t"))
    }
}
