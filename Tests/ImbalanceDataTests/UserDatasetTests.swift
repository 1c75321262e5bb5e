import Foundation
import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport
import ImbalanceRandom

/// The user formats end to end: folders, CSV lists and NPZ files written by
/// `DatasetWriter`, read back in canonical order whatever order they were written in; held-out
/// splits; conversions; format guessing; and the errors a user can hit.
final class UserDatasetTests: XCTestCase {
    let train = patternDataset("d/train", count: 24, classes: 3, channels: 3)
    let test = patternDataset("d/test", count: 9, classes: 3, channels: 3, seed: 5)

    private func assertSameImages(_ a: ImageDataset, _ b: ImageDataset, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.pixels, b.pixels, file: file, line: line)
        XCTAssertEqual(a.labels, b.labels, file: file, line: line)
        XCTAssertTrue((a.channels, a.height, a.width) == (b.channels, b.height, b.width), file: file, line: line)
    }

    func testFolderReadsBackInTheWrittenOrder() throws {
        let dir = try TempDir()
        let files = try DatasetWriter.writeFolder([("train", train), ("test", test)], to: dir.path)
        XCTAssertEqual(files.count, 33)
        let splits = try UserDataset(path: dir.path).load()
        assertSameImages(splits.train, train)
        assertSameImages(splits.test, test)
        XCTAssertEqual(splits.train.classNames, ["0_class-0", "1_class-1", "2_class-2"])
        XCTAssertNil(splits.kind)
        let digests = try XCTUnwrap(splits.sources?.digests)
        XCTAssertEqual(digests.map(\.path), [dir.path + " (33 files)"], "the folder's images as one digest")
        XCTAssertEqual(digests[0].bytes, files.map { (try? Data(contentsOf: URL(fileURLWithPath: $0)).count) ?? 0 }.reduce(0, +))
        let again = try UserDataset(path: dir.path).load()
        XCTAssertEqual(again.sources?.digests, digests, "the same files give the same digest")
        try writeFile(files[0], PNGFile.encode(DatasetWriter.image(test, 1)))
        XCTAssertNotEqual(try UserDataset(path: dir.path).load().sources?.digests[0].sha256, digests[0].sha256,
                          "a changed image changes the folder's digest")
        XCTAssertTrue(splits.sources!.summary.contains("24 training, 9 test images of 3 x 6 x 5, 3 classes"), splits.sources!.summary)
    }

    func testPoolFolderNeedsATestFractionAndSplitsStratified() throws {
        let dir = try TempDir()
        try DatasetWriter.writeFolder([("pool", train)], to: dir.path)
        let pool = dir.path + "/pool"
        assertDataError(try UserDataset(format: "folder", path: pool).load(), contains: [pool, "no test split", "--test-fraction"])
        let a = try UserDataset(path: pool, testFraction: 0.25, validationFraction: 0.2).load()
        let b = try UserDataset(path: pool, testFraction: 0.25, validationFraction: 0.2).load()
        XCTAssertEqual(a.test.pixels, b.test.pixels, "same seed, same split")
        XCTAssertEqual(a.test.classCounts(), [2, 2, 2], "round(0.25 x 8) per class")
        XCTAssertEqual(a.validation?.classCounts(), [1, 1, 1])
        XCTAssertEqual(a.train.count + a.test.count + a.validation!.count, 24)
        let c = try UserDataset(path: pool, testFraction: 0.25, splitSeed: 9).load()
        XCTAssertNotEqual(a.test.pixels, c.test.pixels, "another seed, another split")
        let stored = try TempDir()
        try DatasetWriter.writeFolder([("train", train), ("test", test)], to: stored.path)
        assertDataError(try UserDataset(path: stored.path, testFraction: 0.2).load(), contains: ["has its own test split"])
    }

    func testFolderErrors() throws {
        let dir = try TempDir()
        try DatasetWriter.writeFolder([("train", train), ("test", test)], to: dir.path)
        try writeFile(dir.path + "/train/0_class-0/notes.txt", Array("x".utf8))
        assertDataError(try UserDataset(path: dir.path).load(), contains: ["notes.txt", "not a .png, .jpg or .jpeg"])
        try FileManager.default.removeItem(atPath: dir.path + "/train/0_class-0/notes.txt")
        try writeFile(dir.path + "/train/0_class-0/.DS_Store", [0])   // hidden: skipped
        try writeFile(dir.path + "/test/9_other/a.png", PNGFile.encode(DatasetWriter.image(test, 0)))
        assertDataError(try UserDataset(path: dir.path).load(), contains: ["9_other", "not among the training classes"])
        try FileManager.default.removeItem(atPath: dir.path + "/test/9_other")
        try writeFile(dir.path + "/train/1_class-1/99.png", PNGFile.encode(DecodedImage(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 1, count: 12))))
        assertDataError(try UserDataset(path: dir.path).load(), contains: ["99.png", "image is 2 x 2", "give a size"])
        // Resizing makes them agree; grey conversion too.
        let resized = try UserDataset(path: dir.path, height: 4, width: 4, channels: 1).load()
        XCTAssertTrue((resized.train.channels, resized.train.height, resized.train.width) == (1, 4, 4))
        XCTAssertEqual(resized.train.count, 25)
        try writeFile(dir.path + "/train/1_class-1/99.png", Array("not an image".utf8))
        assertDataError(try UserDataset(path: dir.path, height: 4, width: 4).load(), contains: ["99.png", "not a PNG"])
        let empty = try TempDir()
        _ = try empty.makeDirectory("a")
        assertDataError(try UserDataset(format: "folder", path: empty.path, testFraction: 0.5).load(), contains: ["/a", "holds no images"])
    }

    func testCSVListInShuffledOrderReadsCanonically() throws {
        let dir = try TempDir()
        let list = try DatasetWriter.writeCSV([("train", train), ("test", test), ("validation", test)], to: dir.path)
        let text = try String(contentsOfFile: list, encoding: .utf8)
        var rows = text.split(separator: "\n").map(String.init)
        let header = rows.removeFirst()
        // Reverse the rows and quote one path: the reader sorts, and parses RFC 4180.
        rows.reverse()
        rows[0] = "\"" + rows[0].split(separator: ",")[0] + "\"," + rows[0].split(separator: ",").dropFirst().joined(separator: ",")
        try (([header] + rows).joined(separator: "\r\n") + "\r\n").write(toFile: list, atomically: true, encoding: .utf8)
        let splits = try UserDataset(path: list).load()
        assertSameImages(splits.train, train)
        assertSameImages(splits.test, test)
        assertSameImages(try XCTUnwrap(splits.validation), test)
        XCTAssertEqual(splits.train.classNames, ["0", "1", "2"])
        XCTAssertEqual(splits.sources?.digests.map(\.path), [list, list + " images (42 files)"], "the list, and its images as one digest")
    }

    func testCSVLabelsByNameAndErrorsWithLines() throws {
        let dir = try TempDir()
        for i in 0..<4 { try writeFile(dir.file("img\(i).png"), PNGFile.encode(DatasetWriter.image(train, i))) }
        let csv = dir.file("list.csv")
        try "img0.png,dog\nimg1.png,cat\nimg2.png,dog\nimg3.png,cat\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let pool = try UserDataset(path: csv, testFraction: 0.5).load()
        XCTAssertEqual(pool.train.classNames, ["cat", "dog"])
        XCTAssertEqual(pool.train.count + pool.test.count, 4)
        func check(_ text: String, _ parts: [String]) throws {
            try text.write(toFile: csv, atomically: true, encoding: .utf8)
            assertDataError(try UserDataset(path: csv, testFraction: 0.5).load(), contains: parts)
        }
        try check("img0.png,dog\n\nimg1.png,cat\n", [csv, "line 2", "empty line"])
        try check("img0.png,dog,train\nimg1.png,cat\n", [csv, "line 2", "2 field(s); the first row has 3"])
        try check("img0.png,dog,holdout\n", [csv, "line 1", "split 'holdout'"])
        try check("img0.png,dog\nimg0.png,cat\n", [csv, "line 2", "listed twice"])
        try check("img0.png,\"dog\n", [csv, "line 1", "not closed"])
        try check("img0.png,d\"og\n", [csv, "line 1", "a quote inside an unquoted field"])
        try check("missing.png,dog\nimg1.png,cat\n", [dir.file("missing.png"), "no such file", "list.csv:1"])
        try check("path,label,kind\n", [csv, "line 1", "header"])
    }

    func testNPZWrittenAndReadAndErrors() throws {
        let dir = try TempDir()
        let path = dir.file("set.npz")
        try DatasetWriter.writeNPZ([("train", train), ("test", test), ("validation", test)], to: path)
        let splits = try UserDataset(path: path).load()
        assertSameImages(splits.train, train)
        assertSameImages(splits.test, test)
        XCTAssertEqual(splits.name, "set")
        // Unknown members, missing halves, multi-label arrays.
        let labels = NPYFile.encode(NPYArray(descr: "|u1", shape: [2, 14], itemSize: 1, data: [UInt8](repeating: 0, count: 28)))
        let images = NPYFile.encode(NPYArray(descr: "|u1", shape: [2, 3, 3], itemSize: 1, data: [UInt8](repeating: 0, count: 18)))
        func npz(_ members: [(String, [UInt8])]) throws -> String {
            try FileSystem.write(ZipWriter.archive(members, compressed: false), to: path)
            return path
        }
        assertDataError(try UserDataset(path: npz([("train_images.npy", images), ("train_labels.npy", labels), ("test_images.npy", images), ("test_labels.npy", labels)])).load(),
                        contains: ["train_labels.npy", "multi-label"])
        assertDataError(try UserDataset(path: npz([("train_images.npy", images), ("extra.npy", images)])).load(),
                        contains: ["member extra.npy", "unexpected member"])
        assertDataError(try UserDataset(path: npz([("weights.npy", images)])).load(), contains: ["no known keys"])
        let floats = NPYFile.encode(NPYArray(descr: "<f4", shape: [2, 1, 1], itemSize: 4, data: [UInt8](repeating: 0, count: 8)))
        let okLabels = NPYFile.encode(NPYArray(descr: "<i8", shape: [2], itemSize: 8, data: [UInt8](repeating: 0, count: 16)))
        assertDataError(try UserDataset(path: npz([("images.npy", floats), ("labels.npy", okLabels)]), testFraction: 0.5).load(),
                        contains: [path + ":images.npy", "uint8"])
    }

    func testFormatGuessingAndOptionChecks() throws {
        let dir = try TempDir()
        try writeSmallDataset(in: dir.path, gzip: true)
        XCTAssertEqual(try DatasetReaders.guess(dir.path).format, "idx")
        let idx = try UserDataset(path: dir.path).load()
        XCTAssertEqual(idx.train.classNames, (0..<10).map(String.init))
        XCTAssertEqual(idx.train.count, 30)
        let npz = dir.file("x.npz")
        try DatasetWriter.writeNPZ([("train", train), ("test", test)], to: npz)
        XCTAssertEqual(try DatasetReaders.guess(npz).format, "npz")
        let plain = dir.file("x.bin")
        try writeFile(plain, [1, 2, 3])
        assertDataError(try DatasetReaders.guess(plain), contains: ["x.bin", "cannot tell its format", "npz: not named .npz"])
        assertDataError(try DatasetReaders.guess(dir.file("nothing")), contains: ["no such file or directory"])
        assertDataError(try UserDataset(format: "tiff", path: npz).load(), contains: ["unknown format 'tiff'", "npz, csv"])
        assertDataError(try UserDataset(format: "csv", path: npz).load(), contains: ["does not hold csv data"])
        assertDataError(try UserDataset(path: npz, height: 3).load(), contains: ["both height and width"])
        assertDataError(try UserDataset(path: npz, channels: 2).load(), contains: ["channels must be 1 or 3"])
        assertDataError(try UserDataset(path: npz, testFraction: 1.5).load(), contains: ["testFraction must lie strictly between 0 and 1"])
        XCTAssertEqual(DatasetReaders.names, ["npz", "csv", "idx", "cifar-binary", "ilsvrc2012", "folder"])
        XCTAssertEqual(Set(DatasetKind.allCases.map(\.format)), ["idx", "cifar-binary", "ilsvrc2012"])
        XCTAssertTrue(DatasetKind.allCases.allSatisfy { DatasetReaders.named($0.format) != nil })
    }

    func testStratifiedSplitRule() throws {
        var rng = RandomStream(seed: 3)
        let labels = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2]
        let (kept, held) = try StratifiedSplit.split(labels: labels, classNames: ["a", "b", "c"], fraction: 0.3,
                                                      what: "test", path: "p", rng: &rng)
        XCTAssertEqual(held.map { labels[$0] }.reduce(into: [0, 0, 0]) { $0[$1] += 1 }, [1, 2, 1], "round(0.9) = 1, round(2.1) = 2, clamp to 1")
        XCTAssertEqual((kept + held).sorted(), Array(0..<12))
        XCTAssertEqual(held, held.sorted())
        assertDataError(try StratifiedSplit.split(labels: [0, 1, 1], classNames: ["a", "b"], fraction: 0.5, what: "test", path: "p",
                                                  rng: &rng), contains: ["class 0 ('a') has 1 image(s)"])
    }

    func testSmallILSVRCArchiveInTheOfficialLayout() throws {
        let dir = try TempDir()
        let wnids = ["n02119789", "n01440764", "n01443537"]
        let (trainLabels, valLabels) = try writeSmallILSVRC(in: dir.path, wnids: wnids, perClass: 4, valPerClass: 2)
        XCTAssertEqual(try DatasetReaders.guess(dir.path).format, "ilsvrc2012")
        XCTAssertNoThrow(try DataLocation.resolve(.imagenet, explicitDirectory: dir.path))
        let splits = try loadDataset(kind: .imagenet, directory: dir.path)
        let s = try XCTUnwrap(splits.streamed)
        XCTAssertEqual(s.train.classNames, wnids.sorted())
        XCTAssertEqual(s.train.labels, trainLabels)
        XCTAssertEqual(s.test.labels, valLabels)
        XCTAssertEqual(splits.train.count, 0, "in-memory placeholders stay empty")
        XCTAssertEqual(splits.trainImages.count, 12)
        XCTAssertEqual(s.train.source(of: 0), dir.path + "/ILSVRC2012_img_train.tar:n01440764.tar:n01440764_1000.JPEG")
        let image = try s.train.decode(0)
        XCTAssertTrue((image.height, image.width) == (256, 341), "30 x 40 -> shorter side 256")
        XCTAssertEqual(image.pixels.count, 3 * 256 * 341)
        // A ground truth naming an id without a class, and a devkit without meta.mat.
        let bad = try TempDir()
        _ = try writeSmallILSVRC(in: bad.path, wnids: wnids, perClass: 1, valPerClass: 1, ids: [1, 2, 7])
        var devkit = try TarArchive.read(at: bad.path + "/ILSVRC2012_devkit_t12.tar.gz")
        let truth = try XCTUnwrap(devkit.entry(named: "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt"))
        XCTAssertEqual(String(decoding: devkit.content(of: truth), as: UTF8.self), "1\n2\n7\n")
        try writeFile(bad.path + "/ILSVRC2012_devkit_t12.tar.gz", Gzip.compress(tarBytes([TarMember(name: "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", data: Array("1\n2\n9\n".utf8)),
                                                                                       TarMember(name: "ILSVRC2012_devkit_t12/data/meta.mat", data: MATWriter.file([("synsets", MATWriter.synsets([(1, "n02119789"), (2, "n01440764"), (7, "n01443537")]))]))])))
        assertDataError(try loadDataset(kind: .imagenet, directory: bad.path), contains: ["ground_truth.txt", "line 3", "ILSVRC2012_ID 9 is not in"])
        devkit = try TarArchive.read(at: bad.path + "/ILSVRC2012_devkit_t12.tar.gz")
        XCTAssertEqual(devkit.entries.count, 2)
        try writeFile(bad.path + "/ILSVRC2012_img_train.tar", tarBytes([TarMember(name: "cats.tar", data: tarBytes([]))]))
        assertDataError(try loadDataset(kind: .imagenet, directory: bad.path), contains: ["ILSVRC2012_img_train.tar", "member cats.tar", "WNID.tar"])
        try FileManager.default.removeItem(atPath: bad.path + "/ILSVRC2012_img_val.tar")
        assertDataError(try loadDataset(kind: .imagenet, directory: bad.path), contains: ["missing ILSVRC2012_img_val.tar"])
    }
}
