import XCTest
import ImbalanceData
@testable import ImbalanceFetch

/// `fetch` against a loopback HTTP server started by each test: nothing leaves 127.0.0.1.
final class FetchTests: XCTestCase {
    var server: LoopbackServer!
    var dir: TempDirectory!
    /// Big enough that transfers arrive in several pieces and can be cut mid-body.
    let payload = Gzip.compress(fixtureBytes(count: 200_000)) + fixtureBytes(count: 250_000)
    let small = Array("label file".utf8)

    override func setUpWithError() throws {
        server = try LoopbackServer()
        dir = try TempDirectory()
    }

    override func tearDown() {
        server.stop()
        server = nil
        dir = nil
    }

    private func options(_ log: LogBox? = nil) -> FetchOptions {
        var o = FetchOptions(destination: dir.file("data"))
        if let log { o.log = { log.append($0) } }
        return o
    }

    func testSuccessDownloadsVerifiesAndReportsProgress() throws {
        server.put("m1", "a.bin", payload)
        server.put("m1", "b.txt", small)
        let manifest = testManifest(files: [("a.bin", payload), ("b.txt", small)], mirrors: [server.baseURL("m1")])
        let progress = ProgressBox()
        var o = options()
        o.progress = { progress.append($0) }
        let results = try Fetcher.fetch(manifest, options: o)

        XCTAssertEqual(results.map(\.name), ["a.bin", "b.txt"])
        XCTAssertEqual(results[0].how, .downloaded(from: server.baseURL("m1") + "a.bin"))
        XCTAssertEqual(dir.contents("data/a.bin"), payload)
        XCTAssertEqual(dir.contents("data/b.txt"), small)
        XCTAssertFalse(dir.exists("data/a.bin.part"))
        XCTAssertEqual(server.requests.map(\.range), [nil, nil])
        let last = try XCTUnwrap(progress.items.last { $0.file == "a.bin" })
        XCTAssertTrue(last.finished)
        XCTAssertEqual(last.bytes, Int64(payload.count))
        XCTAssertEqual(last.total, Int64(payload.count))

        // Fetching again downloads nothing: the files are present and verified.
        let again = try Fetcher.fetch(manifest, options: options())
        XCTAssertEqual(again.map(\.how), [.alreadyPresent(.official), .alreadyPresent(.official)])
        XCTAssertEqual(server.requests.count, 2)

        let report = try Verifier.verify(manifest, directory: dir.file("data"))
        XCTAssertEqual(report.files.map(\.status), [.official, .official])
        XCTAssertFalse(report.hasProblems)
    }

    func testFailingMirrorsAreSkippedInOrder() throws {
        // m1 has no such file (404), m2 answers 500, m3 works.
        server.put("m2", "a.bin", payload)
        server.plan("m2", "a.bin", [.status(500)])
        server.put("m3", "a.bin", payload)
        let manifest = testManifest(files: [("a.bin", payload)],
                                    mirrors: [server.baseURL("m1"), server.baseURL("m2"), server.baseURL("m3")])
        let log = LogBox()
        let results = try Fetcher.fetch(manifest, options: options(log))

        XCTAssertEqual(results[0].how, .downloaded(from: server.baseURL("m3") + "a.bin"))
        XCTAssertEqual(dir.contents("data/a.bin"), payload)
        XCTAssertEqual(server.requests.map(\.path), ["/m1/a.bin", "/m2/a.bin", "/m3/a.bin"])
        XCTAssertTrue(log.text.contains("HTTP 404"), log.text)
        XCTAssertTrue(log.text.contains("HTTP 500"), log.text)
    }

    func testCorruptFileIsRejectedNamingFileAndMirrorAndLeavesNothing() throws {
        server.put("bad", "a.bin", payload)
        server.plan("bad", "a.bin", [.corrupt])
        let manifest = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("bad")])
        XCTAssertThrowsError(try Fetcher.fetch(manifest, options: options())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("checksum mismatch for a.bin"), text)
            XCTAssertTrue(text.contains(server.baseURL("bad")), text)
            XCTAssertTrue(text.contains("expected \(SHA256.hex(payload))"), text)
        }
        XCTAssertFalse(dir.exists("data/a.bin"), "nothing may appear at the target path")
        XCTAssertFalse(dir.exists("data/a.bin.part"), "a download with a wrong checksum is deleted")

        // With a good mirror behind the bad one, the next mirror delivers.
        server.plan("bad", "a.bin", [.corrupt])
        server.put("good", "a.bin", payload)
        let two = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("bad"), server.baseURL("good")])
        let log = LogBox()
        let results = try Fetcher.fetch(two, options: options(log))
        XCTAssertEqual(results[0].how, .downloaded(from: server.baseURL("good") + "a.bin"))
        XCTAssertEqual(dir.contents("data/a.bin"), payload)
        XCTAssertTrue(log.text.contains("checksum mismatch for a.bin from mirror \(server.baseURL("bad"))"), log.text)
    }

    func testWrongSizeIsRejectedBeforeWritingAnything() throws {
        server.put("short", "a.bin", Array(payload.prefix(1_000)))
        let manifest = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("short")])
        XCTAssertThrowsError(try Fetcher.fetch(manifest, options: options())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("could not fetch a.bin"), text)
            XCTAssertTrue(text.contains(server.baseURL("short") + "a.bin: the server announces 1000 bytes"), text)
        }
        XCTAssertFalse(dir.exists("data/a.bin"))
        XCTAssertFalse(dir.exists("data/a.bin.part"))
    }

    func testInterruptedTransferResumesWithRange() throws {
        server.put("m", "a.bin", payload)
        server.plan("m", "a.bin", [.closeAfter(100_000)])
        let manifest = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("m")])

        // No immediate retry: the fetch fails and keeps the partial download.
        var once = options()
        once.resumeAttempts = 0
        XCTAssertThrowsError(try Fetcher.fetch(manifest, options: once)) { error in
            XCTAssertTrue("\(error)".contains("partial download kept"), "\(error)")
        }
        XCTAssertFalse(dir.exists("data/a.bin"))
        let partSize = dir.contents("data/a.bin.part")?.count ?? 0
        XCTAssertEqual(partSize, 100_000)

        // The next fetch asks only for the rest and verifies the whole.
        let results = try Fetcher.fetch(manifest, options: options())
        XCTAssertEqual(results[0].how, .downloaded(from: server.baseURL("m") + "a.bin"))
        XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=100000-"])
        XCTAssertEqual(dir.contents("data/a.bin"), payload)
        XCTAssertFalse(dir.exists("data/a.bin.part"))
    }

    func testBrokenTransferResumesWithinOneFetch() throws {
        server.put("m", "a.bin", payload)
        server.plan("m", "a.bin", [.closeAfter(70_000), .closeAfter(50_000)])
        let manifest = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("m")])
        _ = try Fetcher.fetch(manifest, options: options())
        XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=70000-", "bytes=120000-"])
        XCTAssertEqual(dir.contents("data/a.bin"), payload)
    }

    func testServerIgnoringRangeRestartsTheFile() throws {
        server.put("m", "a.bin", payload)
        server.plan("m", "a.bin", [.closeAfter(10_000), .ignoreRange])
        let manifest = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("m")])
        _ = try Fetcher.fetch(manifest, options: options())
        XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=10000-"])
        XCTAssertEqual(dir.contents("data/a.bin"), payload, "a 200 answer to a Range request must replace the part, not extend it")
    }

    func testCompletePartFileIsVerifiedAfter416() throws {
        server.put("m", "a.bin", payload)
        let manifest = testManifest(files: [("a.bin", payload)], mirrors: [server.baseURL("m")])
        try dir.write("data/a.bin.part", payload)
        _ = try Fetcher.fetch(manifest, options: options())
        XCTAssertEqual(server.requests.map(\.range), ["bytes=\(payload.count)-"])
        XCTAssertEqual(dir.contents("data/a.bin"), payload)
    }

    func testExistingDifferentFileIsNotOverwrittenWithoutForce() throws {
        server.put("m", "b.txt", small)
        let manifest = testManifest(files: [("b.txt", small)], mirrors: [server.baseURL("m")])
        try dir.write("data/b.txt", Array("something else".utf8))
        XCTAssertThrowsError(try Fetcher.fetch(manifest, options: options())) { error in
            XCTAssertTrue("\(error)".contains("--force"), "\(error)")
        }
        XCTAssertEqual(server.requests.count, 0)
        var forced = options()
        forced.force = true
        _ = try Fetcher.fetch(manifest, options: forced)
        XCTAssertEqual(dir.contents("data/b.txt"), small)
    }

    func testArchiveIsKeptAndUnpackedOnRequest() throws {
        let batch = fixtureBytes(count: 3_073 * 3)
        let meta = Array("cat\ndog\n".utf8)
        let archive = Gzip.compress(tarArchive([("set/batch.bin", batch), ("set/meta.txt", meta)]))
        server.put("m", "set.tar.gz", archive)
        var manifest = testManifest(files: [("set.tar.gz", archive)], mirrors: [server.baseURL("m")])
        manifest.files[0].unpack = "tar"
        manifest.files[0].members = [
            .init(path: "set/batch.bin", target: "batch.bin", size: Int64(batch.count), sha256: SHA256.hex(batch)),
            .init(path: "set/meta.txt", target: "meta.txt"),
        ]
        // By default the archive stays packed.
        _ = try Fetcher.fetch(manifest, options: options())
        XCTAssertEqual(dir.contents("data/set.tar.gz"), archive)
        XCTAssertFalse(dir.exists("data/batch.bin"))
        var report = try Verifier.verify(manifest, directory: dir.file("data"))
        XCTAssertFalse(report.hasProblems, "members are optional while the archive is present")

        var unpack = options()
        unpack.unpack = true
        let results = try Fetcher.fetch(manifest, options: unpack)
        XCTAssertEqual(results[0].how, .alreadyPresent(.official))
        XCTAssertEqual(results[0].extracted.count, 2)
        XCTAssertEqual(dir.contents("data/batch.bin"), batch)
        XCTAssertEqual(dir.contents("data/meta.txt"), meta)
        report = try Verifier.verify(manifest, directory: dir.file("data"))
        XCTAssertEqual(report.files.map(\.status), [.official, .official, .unverifiable])

        // Without the archive, the extracted members serve the readers.
        try FileManager.default.removeItem(atPath: dir.file("data/set.tar.gz"))
        report = try Verifier.verify(manifest, directory: dir.file("data"))
        XCTAssertEqual(report.files.map(\.status), [.missing, .official, .unverifiable])
        XCTAssertFalse(report.hasProblems)
    }

    func testNoChecksumMeansNoDownload() throws {
        server.put("m", "b.txt", small)
        var manifest = testManifest(files: [("b.txt", small)], mirrors: [server.baseURL("m")])
        manifest.files[0].sha256 = nil
        manifest.files[0].md5 = nil
        XCTAssertThrowsError(try Fetcher.fetch(manifest, options: options()))
        XCTAssertEqual(server.requests.count, 0)
    }

    func testDefaultDestinationFollowsTheLocationRule() {
        XCTAssertEqual(Fetcher.defaultDestination(for: "mnist", environment: ["HOME": "/home/u"], currentDirectory: "/w"),
                       "/home/u/.cache/imbench/mnist")
        XCTAssertEqual(Fetcher.defaultDestination(for: "fashion-mnist", environment: ["HOME": "/home/u"], currentDirectory: "/w"),
                       "/home/u/.cache/imbench/fashion-mnist")
        XCTAssertEqual(Fetcher.defaultDestination(for: "mnist", environment: ["HOME": "/home/u", "IMBENCH_DATA_DIR": "d"],
                                                  currentDirectory: "/w"), "/w/d/mnist")
        // The first place fetch writes to is a place the rule searches.
        for kind in DatasetKind.allCases {
            let dest = Fetcher.defaultDestination(for: kind.rawValue, environment: ["HOME": "/home/u"], currentDirectory: "/w")
            let places = DataLocation.standardDirectories(for: kind, home: "/home/u", currentDirectory: "/w")
            XCTAssertTrue(places.contains(dest), "\(kind): \(dest ?? "nil") not in \(places)")
        }
    }
}

final class LogBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
}

final class ProgressBox: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [TransferProgress] = []
    func append(_ p: TransferProgress) { lock.lock(); list.append(p); lock.unlock() }
    var items: [TransferProgress] { lock.lock(); defer { lock.unlock() }; return list }
}
