import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

final class CIFARTests: XCTestCase {
    // MARK: Round trips

    func testBatchRoundTripRawAndGzip() throws {
        let dir = try TempDir()
        let labels: [UInt8] = [3, 1, 4, 1, 5, 9, 2, 6, 0]
        let records = cifar10Records(labels, seed: 4)
        let raw = try dir.write("b.bin", records)
        let gz = try dir.write("b.bin.gz", Gzip.compress(records))
        for path in [raw, gz] {
            let batch = try CIFARFile.readBatch(at: path, kind: .cifar10)
            XCTAssertEqual(batch.labels, labels.map(Int.init))
            XCTAssertEqual(batch.pixels, cifarPixels(labels.count, seed: 4))
            XCTAssertEqual(batch.count, 9)
        }
        // Pixel planes stay in record order: red plane, green plane, blue plane.
        let one = cifar10Records([7], seed: 1)
        let batch = try CIFARFile.parse(one, path: "mem", kind: .cifar10)
        XCTAssertEqual(Array(batch.pixels[0..<1024]), Array(one[1..<1025]))
        XCTAssertEqual(Array(batch.pixels[2048..<3072]), Array(one[2049..<3073]))
    }

    func testCIFAR100FineAndCoarseLabels() throws {
        let coarse: [UInt8] = [0, 19, 7, 3]
        let fine: [UInt8] = [99, 0, 42, 58]
        let records = cifar100Records(coarse: coarse, fine: fine, seed: 2)
        let f = try CIFARFile.parse(records, path: "mem", kind: .cifar100)
        XCTAssertEqual(f.labels, fine.map(Int.init))
        let c = try CIFARFile.parse(records, path: "mem", kind: .cifar100, label: .coarse)
        XCTAssertEqual(c.labels, coarse.map(Int.init))
        XCTAssertEqual(c.pixels, cifarPixels(4, seed: 2))

        let dir = try TempDir()
        try dir.write("train.bin", records)
        try dir.write("test.bin.gz", Gzip.compress(cifar100Records(coarse: [1, 2], fine: [3, 4], seed: 5)))
        let fineNames = (0..<100).map { "fine\($0)" }
        try dir.write("fine_label_names.txt", metaText(fineNames))
        let fineSplits = try loadDataset(kind: .cifar100, directory: dir.path)
        XCTAssertEqual(fineSplits.train.labels, fine.map(Int.init))
        XCTAssertEqual(fineSplits.test.labels, [3, 4])
        XCTAssertEqual(fineSplits.train.classNames, fineNames)
        XCTAssertEqual(fineSplits.train.name, "cifar100/train")
        XCTAssertEqual(fineSplits.sources?.label, .fine)
        XCTAssertEqual(fineSplits.sources?.classNamesFile, dir.file("fine_label_names.txt"))

        // No coarse_label_names.txt: the official coarse names.
        let coarseSplits = try loadDataset(kind: .cifar100, directory: dir.path, cifarLabel: .coarse)
        XCTAssertEqual(coarseSplits.train.labels, coarse.map(Int.init))
        XCTAssertEqual(coarseSplits.test.labels, [1, 2])
        XCTAssertEqual(coarseSplits.train.classNames, CIFARClassNames.cifar100Coarse)
        XCTAssertEqual(coarseSplits.train.classCount, 20)
        XCTAssertEqual(coarseSplits.train.name, "cifar100-coarse/train")
        XCTAssertNil(coarseSplits.sources?.classNamesFile)
        XCTAssertTrue(coarseSplits.sources!.summary.contains("coarse labels, 20 classes"), coarseSplits.sources!.summary)

        try dir.write("coarse_label_names.txt", metaText((0..<20).map { "c\($0)" }))
        XCTAssertEqual(try loadDataset(kind: .cifar100, directory: dir.path, cifarLabel: .coarse).train.classNames[19], "c19")
    }

    func testCIFAR10PartialBatchesAndMeta() throws {
        let dir = try TempDir()
        let b1: [UInt8] = [0, 1, 2, 3, 4, 5, 6]
        let b3: [UInt8] = [9, 8, 7, 6, 5]
        try dir.write("data_batch_1.bin", cifar10Records(b1, seed: 1))
        try dir.write("data_batch_3.bin.gz", Gzip.compress(cifar10Records(b3, seed: 3)))
        try dir.write("test_batch.bin", cifar10Records([1, 1, 2, 2], seed: 9))
        var splits = try loadDataset(kind: .cifar10, directory: dir.path)
        XCTAssertEqual(splits.kind, .cifar10)
        XCTAssertEqual(splits.train.labels, (b1 + b3).map(Int.init))
        XCTAssertEqual(splits.train.pixels, cifarPixels(7, seed: 1) + cifarPixels(5, seed: 3))
        XCTAssertEqual(splits.test.pixels, cifarPixels(4, seed: 9))
        XCTAssertEqual(splits.train.channels, 3)
        XCTAssertEqual(splits.train.height, 32)
        XCTAssertEqual(splits.train.classNames, CIFARClassNames.cifar10)
        XCTAssertEqual(splits.train.name, "cifar10/train")
        let sources = try XCTUnwrap(splits.sources)
        XCTAssertEqual(sources.trainBatches, ["data_batch_1", "data_batch_3"])
        XCTAssertEqual(sources.trainBatchCounts, [7, 5])
        XCTAssertEqual(sources.missingTrainBatches, ["data_batch_2", "data_batch_4", "data_batch_5"])
        XCTAssertEqual(sources.trainFiles, [dir.file("data_batch_1.bin"), dir.file("data_batch_3.bin.gz")])
        XCTAssertEqual(sources.testFiles, [dir.file("test_batch.bin")])
        XCTAssertNil(sources.label)
        XCTAssertEqual(sources.summary, "CIFAR-10: 12 training images from 2 of 5 training batches (data_batch_1, data_batch_3; not present: data_batch_2, data_batch_4, data_batch_5), 4 test images from test_batch; class names from the built-in official list (batches.meta.txt not present)")

        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        try dir.write("batches.meta.txt", Array(("  a\r\nb\nc\nd\ne\nf\ng\nh\ni\nj \n\n\n").utf8))
        splits = try loadDataset(kind: .cifar10, directory: dir.path)
        XCTAssertEqual(splits.train.classNames, names)
        XCTAssertEqual(splits.test.classNames, names)
        XCTAssertTrue(splits.sources!.summary.hasSuffix("class names from batches.meta.txt"))
    }

    func testOfficialArchiveLayout() throws {
        let dir = try TempDir()
        let batches = (1...5).map { n in ("data_batch_\(n)", cifar10Records((0..<(n + 2)).map { UInt8(($0 + n) % 10) }, seed: n)) }
        let test = cifar10Records([9, 0, 9], seed: 7)
        let names = CIFARClassNames.cifar10.map { $0.uppercased() }
        let archive = try dir.write("cifar-10-binary.tar.gz",
                                    Gzip.compress(officialCIFAR10Archive(train: batches, test: test, meta: names)))
        let splits = try loadCIFARDataset(kind: .cifar10, directory: dir.path)
        XCTAssertEqual(splits.train.count, 3 + 4 + 5 + 6 + 7)
        XCTAssertEqual(splits.train.pixels, (1...5).flatMap { cifarPixels($0 + 2, seed: $0) })
        XCTAssertEqual(splits.test.labels, [9, 0, 9])
        XCTAssertEqual(splits.train.classNames, names)
        let sources = try XCTUnwrap(splits.sources)
        XCTAssertEqual(sources.trainBatches, (1...5).map { "data_batch_\($0)" })
        XCTAssertEqual(sources.missingTrainBatches, [])
        XCTAssertEqual(sources.trainFiles.first, archive + ":cifar-10-batches-bin/data_batch_1.bin")
        XCTAssertEqual(sources.classNamesFile, archive + ":cifar-10-batches-bin/batches.meta.txt")
        XCTAssertTrue(sources.summary.contains("from 5 of 5 training batches (data_batch_1, data_batch_2, data_batch_3, data_batch_4, data_batch_5)"), sources.summary)
        XCTAssertTrue(sources.summary.contains("(read from cifar-10-binary.tar.gz)"), sources.summary)

        // The archive stored as plain tar under the official name also reads (format by content).
        let plain = try TempDir()
        try plain.write("cifar-10-binary.tar.gz", officialCIFAR10Archive(train: [batches[1]], test: test, meta: nil))
        let p = try loadDataset(kind: .cifar10, directory: plain.path)
        XCTAssertEqual(p.train.count, 4)
        XCTAssertEqual(p.sources?.missingTrainBatches, ["data_batch_1", "data_batch_3", "data_batch_4", "data_batch_5"])
        XCTAssertEqual(p.train.classNames, CIFARClassNames.cifar10)

        // CIFAR-100's official archive.
        let c100 = try TempDir()
        let tar = tarBytes([
            TarMember(name: "cifar-100-binary/", type: UInt8(ascii: "5")),
            TarMember(name: "cifar-100-binary/coarse_label_names.txt", data: metaText(CIFARClassNames.cifar100Coarse)),
            TarMember(name: "cifar-100-binary/fine_label_names.txt", data: metaText(CIFARClassNames.cifar100Fine)),
            TarMember(name: "cifar-100-binary/train.bin", data: cifar100Records(coarse: [4, 5], fine: [40, 50])),
            TarMember(name: "cifar-100-binary/test.bin", data: cifar100Records(coarse: [6], fine: [60])),
        ])
        try c100.write("cifar-100-binary.tar.gz", Gzip.compress(tar))
        let s100 = try loadDataset(kind: .cifar100, directory: c100.path)
        XCTAssertEqual(s100.train.labels, [40, 50])
        XCTAssertEqual(s100.train.classNames, CIFARClassNames.cifar100Fine)
        XCTAssertEqual(try loadDataset(kind: .cifar100, directory: c100.path, cifarLabel: .coarse).test.labels, [6])
    }

    func testLooseFilesWinOverArchiveOnlyWhenComplete() throws {
        let dir = try TempDir()
        try dir.write("cifar-10-binary.tar.gz", Gzip.compress(officialCIFAR10Archive(
            train: [("data_batch_1", cifar10Records([1, 2, 3]))], test: cifar10Records([4]))))
        // A loose training batch without a loose test batch: the archive is read.
        try dir.write("data_batch_2.bin", cifar10Records([5]))
        XCTAssertEqual(try loadDataset(kind: .cifar10, directory: dir.path).train.labels, [1, 2, 3])
        try dir.write("test_batch.bin", cifar10Records([6, 6]))
        let loose = try loadDataset(kind: .cifar10, directory: dir.path)
        XCTAssertEqual(loose.train.labels, [5])
        XCTAssertEqual(loose.test.labels, [6, 6])
    }

    func testDispatchAndKindProperties() throws {
        let dir = try TempDir()
        try writeSmallDataset(in: dir.path, gzip: true)
        let idx = try loadDataset(kind: .mnist, directory: dir.path)
        XCTAssertEqual(idx.train.count, 30)
        XCTAssertEqual(idx.sources?.summary, "MNIST: 30 training images (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz), 10 test images (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)")
        assertDataError(try loadDataset(kind: .mnist, directory: dir.path, cifarLabel: .coarse),
                        path: dir.path, contains: ["coarse labels exist only in CIFAR-100"])
        assertDataError(try loadIDXDataset(kind: .cifar10, directory: dir.path),
                        path: dir.path, contains: ["CIFAR binary batches", "loadDataset"])
        assertDataError(try loadCIFARDataset(kind: .mnist, directory: dir.path),
                        path: dir.path, contains: ["not a CIFAR dataset"])
        assertDataError(try loadDataset(kind: .cifar10, directory: dir.path, cifarLabel: .coarse),
                        path: dir.path, contains: ["label choice", "single label"])

        XCTAssertEqual(DatasetKind(rawValue: "cifar10"), .cifar10)
        XCTAssertEqual(DatasetKind(rawValue: "cifar100"), .cifar100)
        XCTAssertEqual(DatasetKind.cifar10.format, "cifar-binary")
        XCTAssertEqual(DatasetKind.mnist.format, "idx")
        XCTAssertTrue(DatasetKind.cifar10.imageShape == (3, 32, 32))
        XCTAssertTrue(DatasetKind.cifar100.imageShape == (3, 32, 32))
        XCTAssertEqual(DatasetKind.cifar10.classCount, 10)
        XCTAssertEqual(DatasetKind.cifar100.classCount, 100)
        XCTAssertEqual(DatasetKind.cifar100.classNames(label: .coarse).count, 20)
        XCTAssertEqual(Set(CIFARClassNames.cifar100Fine).count, 100)
        XCTAssertEqual(CIFARClassNames.cifar100Fine, CIFARClassNames.cifar100Fine.sorted(), "official fine names are alphabetical")
        XCTAssertEqual(DatasetKind.cifar10.protocolMaxPerClass, 5_000)
        XCTAssertNil(DatasetKind.cifar100.protocolMaxPerClass)
        XCTAssertEqual(DatasetKind.cifar10.files.all, [])
        XCTAssertEqual(DatasetKind.mnist.files.all.count, 4)
    }

    // MARK: Location rule

    func testLocationRuleForCIFAR() throws {
        func resolve(_ kind: DatasetKind, explicit: String? = nil, existing: Set<String>) throws -> DataLocation.Resolution {
            try DataLocation.resolve(kind, explicitDirectory: explicit, environment: ["HOME": "/home/u"],
                                     currentDirectory: "/work/main", fileExists: { existing.contains($0) })
        }
        XCTAssertEqual(DataLocation.standardDirectories(for: .cifar10, home: "/home/u", currentDirectory: "/work/main"),
                       ["/home/u/.cache/imbench/cifar10", "/work/main/data/cifar10", "/work/shared/datasets/cifar-10-batches-bin"])
        XCTAssertEqual(DataLocation.standardDirectories(for: .cifar100, home: "/home/u", currentDirectory: "/work/main"),
                       ["/home/u/.cache/imbench/cifar100", "/work/main/data/cifar100"])

        let shared = "/work/shared/datasets/cifar-10-batches-bin"
        let r = try resolve(.cifar10, existing: [shared + "/data_batch_1.bin.gz", shared + "/test_batch.bin.gz"])
        XCTAssertEqual(r.directory, shared)
        XCTAssertEqual(r.rule, .standard)
        XCTAssertEqual(r.skipped.map(\.path), ["/home/u/.cache/imbench/cifar10", "/work/main/data/cifar10"])
        XCTAssertTrue(r.skipped[0].problem!.contains("none of the CIFAR-10 files"))

        let archive = try resolve(.cifar10, existing: ["/home/u/.cache/imbench/cifar10/cifar-10-binary.tar.gz"])
        XCTAssertEqual(archive.directory, "/home/u/.cache/imbench/cifar10")
        XCTAssertEqual(try resolve(.cifar100, explicit: "/d", existing: ["/d/cifar100/train.bin", "/d/cifar100/test.bin"]).directory,
                       "/d/cifar100")

        do {
            _ = try resolve(.cifar10, explicit: "/d", existing: ["/d/data_batch_1.bin", "/d/data_batch_2.bin"])
            XCTFail("a directory without the test batch does not hold CIFAR-10")
        } catch let error as DataLocationError {
            XCTAssertEqual(error.attempts.map(\.path), ["/d", "/d/cifar10"])
            XCTAssertTrue(error.attempts[0].problem!.contains("missing test_batch.bin[.gz] (has data_batch_1, data_batch_2"), error.description)
            XCTAssertTrue(error.description.contains("cifar-10-binary.tar.gz"), error.description)
        }
        do {
            _ = try resolve(.cifar100, existing: ["/work/main/data/cifar100/test.bin"])
            XCTFail("a test batch alone does not hold CIFAR-100")
        } catch let error as DataLocationError {
            XCTAssertTrue(error.attempts.last!.problem!.contains("missing a training batch"), error.description)
            XCTAssertTrue(error.description.contains("put train.bin and test.bin (each optionally .gz), or cifar-100-binary.tar.gz in ~/.cache/imbench/cifar100"), error.description)
        }
    }

    // MARK: Malformed files

    /// A corpus of malformed CIFAR directories, batch files, meta files and archives, all
    /// written here. Each must fail with a `DataError` naming the exact file and saying what
    /// was expected; none may crash.
    func testMalformedCorpusGivesClearErrors() throws {
        struct Case {
            var name: String
            var kind: DatasetKind = .cifar10
            var label: CIFARLabel = .fine
            /// Load from this subfolder of the temporary directory instead of the directory itself.
            var subfolder: String? = nil
            var setup: (TempDir) throws -> String   // returns the path the error must name
            var expect: [String]
        }
        let goodTrain = cifar10Records([1, 2, 3])
        let goodTest = cifar10Records([4, 5])
        func loose(_ d: TempDir, train: [UInt8]? = nil, test: [UInt8]? = nil) throws {
            try d.write("data_batch_1.bin", train ?? goodTrain)
            try d.write("test_batch.bin", test ?? goodTest)
        }
        func archive(_ d: TempDir, _ tar: [UInt8], gzip: Bool = true) throws -> String {
            try d.write("cifar-10-binary.tar.gz", gzip ? Gzip.compress(tar) : tar)
        }
        var badLabel = goodTrain
        badLabel[2 * 3073] = 10
        let gzTrain = Gzip.compress(goodTrain)
        var badCRC = gzTrain
        badCRC[badCRC.count - 7] ^= 0x55

        let cases: [Case] = [
            Case(name: "empty batch", setup: { d in try loose(d, train: []); return d.file("data_batch_1.bin") },
                 expect: ["file is empty (0 bytes)", "3,073 bytes"]),
            Case(name: "empty gzip batch", setup: { d in
                try d.write("test_batch.bin", goodTest); return try d.write("data_batch_1.bin.gz", Gzip.compress([])) },
                 expect: ["gzip content is empty"]),
            Case(name: "partial record", setup: { d in try loose(d, train: goodTrain + [0, 1, 2]); return d.file("data_batch_1.bin") },
                 expect: ["record 3", "byte 9219", "not a multiple of the 3,073-byte record size", "3 whole record(s) and 3 byte(s) left over"]),
            Case(name: "truncated record", setup: { d in try loose(d, test: Array(goodTest.dropLast(100))); return d.file("test_batch.bin") },
                 expect: ["record 1", "byte 3073", "2,973 byte(s) left over", "truncated"]),
            Case(name: "CIFAR-100 file read as CIFAR-10", setup: { d in
                try loose(d, train: cifar100Records(coarse: [1, 2, 3, 4], fine: [5, 6, 7, 8])); return d.file("data_batch_1.bin") },
                 expect: ["not a multiple", "is this a CIFAR-100 file?"]),
            Case(name: "CIFAR-10 file read as CIFAR-100", kind: .cifar100, setup: { d in
                try d.write("train.bin", cifar10Records([1, 2])); try d.write("test.bin", cifar100Records(coarse: [1], fine: [1]))
                return d.file("train.bin") },
                 expect: ["3,074-byte record size", "is this a CIFAR-10 file?"]),
            Case(name: "label out of range", setup: { d in try loose(d, train: badLabel); return d.file("data_batch_1.bin") },
                 expect: ["label of record 2", "byte 6146", "expected a label in 0..<10 for CIFAR-10, found 10"]),
            Case(name: "label out of range, gzip", setup: { d in
                try d.write("test_batch.bin.gz", Gzip.compress(cifar10Records([0, 255]))); try d.write("data_batch_2.bin", goodTrain)
                return d.file("test_batch.bin.gz") },
                 expect: ["label of record 1", "byte 3073 of the decompressed data", "found 255"]),
            Case(name: "coarse label out of range", kind: .cifar100, setup: { d in
                try d.write("train.bin", cifar100Records(coarse: [0, 20], fine: [1, 1])); try d.write("test.bin", cifar100Records(coarse: [1], fine: [1]))
                return d.file("train.bin") },
                 expect: ["coarse label of record 1", "byte 3074", "0..<20", "found 20"]),
            Case(name: "fine label out of range, coarse chosen", kind: .cifar100, label: .coarse, setup: { d in
                try d.write("train.bin", cifar100Records(coarse: [0], fine: [1])); try d.write("test.bin", cifar100Records(coarse: [1, 1], fine: [1, 100]))
                return d.file("test.bin") },
                 expect: ["fine label of record 1", "byte 3075", "0..<100", "found 100"]),
            Case(name: "truncated gzip", setup: { d in
                try d.write("test_batch.bin", goodTest); return try d.write("data_batch_1.bin.gz", Array(gzTrain.prefix(gzTrain.count - 9))) },
                 expect: ["truncated gzip data"]),
            Case(name: "gzip CRC", setup: { d in
                try d.write("test_batch.bin", goodTest); return try d.write("data_batch_1.bin.gz", badCRC) },
                 expect: ["CRC-32 mismatch"]),
            Case(name: "directory as batch", setup: { d in
                try d.write("test_batch.bin", goodTest); return try d.makeDirectory("data_batch_1.bin") },
                 expect: ["is a directory", "CIFAR-10 batch file"]),
            Case(name: "directory as gzip test batch", setup: { d in
                try d.write("data_batch_1.bin", goodTrain); return try d.makeDirectory("test_batch.bin.gz") },
                 expect: ["is a directory"]),
            Case(name: "missing test batch", setup: { d in
                try d.write("data_batch_1.bin", goodTrain); try d.write("data_batch_4.bin.gz", Gzip.compress(goodTrain))
                return d.file("test_batch.bin") },
                 expect: ["no such file", "test_batch.bin.gz", "cifar-10-binary.tar.gz", "test batch", "data_batch_1, data_batch_4"]),
            Case(name: "missing training batches", setup: { d in
                try d.write("test_batch.bin", goodTest); return d.file("data_batch_1.bin") },
                 expect: ["no training batch", "data_batch_5.bin[.gz]"]),
            Case(name: "empty directory", setup: { d in d.path },
                 expect: ["no CIFAR-10 files here", "data_batch_1..5.bin (at least one) and test_batch.bin"]),
            Case(name: "no such directory", subfolder: "nope", setup: { d in d.file("nope") },
                 expect: ["no such directory"]),
            Case(name: "meta with 9 names", setup: { d in
                try loose(d); return try d.write("batches.meta.txt", metaText(Array(CIFARClassNames.cifar10.prefix(9)))) },
                 expect: ["found 9 class name(s); expected 10 CIFAR-10 class names, one per line"]),
            Case(name: "meta with an empty line", setup: { d in
                try loose(d); return try d.write("batches.meta.txt", Array("a\nb\n\nc\nd\ne\nf\ng\nh\ni\nj\n".utf8)) },
                 expect: ["line 3", "empty line"]),
            Case(name: "meta not UTF-8", setup: { d in
                try loose(d); return try d.write("batches.meta.txt", [0x61, 0xFF, 0xFE, 0x0A]) },
                 expect: ["not valid UTF-8"]),
            Case(name: "meta empty", kind: .cifar100, setup: { d in
                try d.write("train.bin", cifar100Records(coarse: [1], fine: [1])); try d.write("test.bin", cifar100Records(coarse: [1], fine: [1]))
                return try d.write("fine_label_names.txt", []) },
                 expect: ["file is empty", "100 fine class names"]),
            Case(name: "meta too large", setup: { d in
                try loose(d); return try d.write("batches.meta.txt", [UInt8](repeating: 0x61, count: 70_000)) },
                 expect: ["too large for a class-name file"]),
            Case(name: "meta is a directory", setup: { d in try loose(d); return try d.makeDirectory("batches.meta.txt") },
                 expect: ["is a directory", "class-name file"]),
            Case(name: "archive is a directory", setup: { d in try d.makeDirectory("cifar-10-binary.tar.gz") },
                 expect: ["is a directory", "official CIFAR-10 archive"]),
            Case(name: "archive empty", setup: { d in try d.write("cifar-10-binary.tar.gz", []) },
                 expect: ["file is empty (0 bytes)", "tar archive"]),
            Case(name: "archive truncated gzip", setup: { d in
                let gz = Gzip.compress(officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: goodTest))
                return try d.write("cifar-10-binary.tar.gz", Array(gz.prefix(gz.count * 2 / 3))) },
                 expect: ["truncated gzip data"]),
            Case(name: "archive truncated tar", setup: { d in
                try archive(d, Array(officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: goodTest).prefix(5_000)), gzip: false) },
                 expect: ["size of entry 'cifar-10-batches-bin/data_batch_1.bin'", "size past the end"]),
            Case(name: "archive bad checksum", setup: { d in
                var tar = officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: goodTest)
                tar[512 + 10] ^= 0x20
                return try archive(d, tar) },
                 expect: ["checksum", "byte 660 of the decompressed data", "bad tar header checksum"]),
            Case(name: "archive entry size past end", setup: { d in
                var tar = officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: goodTest)
                for (k, b) in Array("17777777777".utf8).enumerated() { tar[512 + 124 + k] = b }
                fixTarChecksum(&tar, header: 512)
                return try archive(d, tar) },
                 expect: ["size of entry 'cifar-10-batches-bin/batches.meta.txt'", "size past the end", "2147483647"]),
            Case(name: "archive without test batch", setup: { d in
                try archive(d, officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: nil)) },
                 expect: ["member cifar-10-batches-bin/test_batch.bin", "the archive has no test_batch.bin", "readme.html"]),
            Case(name: "archive without training batch", setup: { d in
                try archive(d, officialCIFAR10Archive(train: [], test: goodTest)) },
                 expect: ["the archive has no training batch", "cifar-10-batches-bin/data_batch_5.bin"]),
            Case(name: "archive member bad size", setup: { d in
                try archive(d, officialCIFAR10Archive(train: [("data_batch_2", goodTrain + [1])], test: goodTest)) },
                 expect: ["member cifar-10-batches-bin/data_batch_2.bin, record 3", "of the decompressed data", "not a multiple"]),
            Case(name: "archive member label out of range", setup: { d in
                try archive(d, officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: cifar10Records([3, 12]))) },
                 expect: ["member cifar-10-batches-bin/test_batch.bin, label of record 1", "found 12"]),
            Case(name: "archive member empty", setup: { d in
                try archive(d, officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: [])) },
                 expect: ["member cifar-10-batches-bin/test_batch.bin", "archive member is empty"]),
            Case(name: "archive meta with 11 names", setup: { d in
                try archive(d, officialCIFAR10Archive(train: [("data_batch_1", goodTrain)], test: goodTest,
                                                      meta: CIFARClassNames.cifar10 + ["extra"])) },
                 expect: ["member cifar-10-batches-bin/batches.meta.txt", "found 11 class name(s)"]),
            Case(name: "archive with ambiguous members", setup: { d in
                let tar = tarBytes([TarMember(name: "x/data_batch_1.bin", data: goodTrain), TarMember(name: "y/data_batch_1.bin", data: goodTrain),
                                    TarMember(name: "x/test_batch.bin", data: goodTest)])
                return try archive(d, tar) },
                 expect: ["member data_batch_1.bin", "holds 2 files named data_batch_1.bin (x/data_batch_1.bin, y/data_batch_1.bin)"]),
            Case(name: "archive of another format", setup: { d in try archive(d, Array("PK\u{3}\u{4} not a tar".utf8) + [UInt8](repeating: 7, count: 600)) },
                 expect: ["checksum", "not a tar archive"]),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        for c in cases {
            let dir = try TempDir()
            let path = try c.setup(dir)
            let directory = c.subfolder.map(dir.file) ?? dir.path
            assertDataError(try loadDataset(kind: c.kind, directory: directory, cifarLabel: c.label),
                            path: path, contains: c.expect)
        }
    }

    /// Deterministic mutations of a small CIFAR-100 batch: the parser returns or throws
    /// `DataError`, and whatever it returns has consistent sizes and labels in range.
    func testMutatedBatchesNeverCrash() throws {
        let good = cifar100Records(coarse: [1, 19, 0], fine: [99, 0, 50])
        var state: UInt64 = 12345
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for trial in 0..<300 {
            var bytes = good
            if trial % 2 == 0 {
                bytes[[0, 1, 3074, 3075, 6148, 6149][next() % 6]] = UInt8(truncatingIfNeeded: next())
            } else {
                bytes = Array(bytes.prefix(next() % (bytes.count + 1)))
            }
            for label in CIFARLabel.allCases {
                do {
                    let batch = try CIFARFile.parse(bytes, path: "m\(trial)", kind: .cifar100, label: label)
                    XCTAssertEqual(batch.pixels.count, batch.count * 3072)
                    XCTAssertTrue(batch.labels.allSatisfy { $0 < (label == .fine ? 100 : 20) })
                } catch let error as DataError {
                    XCTAssertEqual(error.path, "m\(trial)")
                }
            }
        }
    }

    // MARK: Real data

    /// The repository root, three levels above this file.
    static let repositoryRoot: String = {
        var root = "\(#filePath)"
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        return root
    }()

    /// `../shared/datasets/cifar-10-batches-bin` from the repository root.
    static let sharedCIFAR10 = DataLocation.normalize(repositoryRoot + "/../shared/datasets/cifar-10-batches-bin")

    func testRealSharedCIFAR10() throws {
        let dir = Self.sharedCIFAR10
        guard DataLocation.regularFileExists(dir + "/test_batch.bin.gz") else {
            throw XCTSkip("real CIFAR-10 not found at \(dir)")
        }
        let splits = try loadDataset(kind: .cifar10, directory: dir)
        XCTAssertEqual(splits.train.count, 10_000)
        XCTAssertEqual(splits.train.classCounts(), [974, 945, 999, 1019, 979, 983, 1011, 1009, 1060, 1021])
        XCTAssertEqual(splits.test.count, 10_000)
        XCTAssertEqual(splits.test.classCounts(), [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(splits.train.pixels.count, 10_000 * 3072)
        XCTAssertEqual(splits.train.classNames, CIFARClassNames.cifar10)
        let sources = try XCTUnwrap(splits.sources)
        XCTAssertEqual(sources.trainBatches, ["data_batch_1"])
        XCTAssertEqual(sources.trainBatchCounts, [10_000])
        XCTAssertEqual(sources.missingTrainBatches, ["data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"])
        XCTAssertEqual(sources.classNamesFile, dir + "/batches.meta.txt")
        XCTAssertTrue(sources.summary.hasPrefix("CIFAR-10: 10,000 training images from 1 of 5 training batches (data_batch_1; not present: data_batch_2"), sources.summary)

        // Found by the standard locations from the repository root, as `imbench` would.
        let r = try DataLocation.resolve(.cifar10, environment: ["HOME": "/nonexistent-home"],
                                         currentDirectory: Self.repositoryRoot)
        XCTAssertEqual(r.directory, dir)
        XCTAssertEqual(r.rule, .standard)
    }
}
