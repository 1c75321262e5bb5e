import Foundation
import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

/// The seed corpus of the libFuzzer targets in `Fuzz/` (run by `scripts/fuzz`).
///
/// Seeds come from the same builders as the reader tests, so the fuzzer starts from files
/// the readers are known to accept (small, in every variant the formats allow) and from
/// each kind of malformed file the tests already know, and mutates from there. The test
/// checks every seed through the real readers before writing it, so a seed that stops
/// meaning what its name says fails here rather than silently weakening the fuzzing.
/// Inputs that once crashed a target are kept in `Fuzz/regressions/<target>/` and replayed
/// here on every test run.
final class FuzzCorpusTests: XCTestCase {
    /// `$IMBENCH_FUZZ_CORPUS` when set (scripts/fuzz points it into .build-fuzz/), else
    /// `.fuzz-corpus/` in the package root (git-ignored).
    static var corpusRoot: String {
        if let dir = ProcessInfo.processInfo.environment["IMBENCH_FUZZ_CORPUS"], !dir.isEmpty { return dir }
        return packageRoot + "/.fuzz-corpus"
    }

    static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    func testSeedCorpusReadsAsExpectedAndIsWritten() throws {
        let root = Self.corpusRoot
        var written = 0
        for target in FuzzTarget.allCases {
            let seeds = target.seeds()
            XCTAssertEqual(Set(seeds.map(\.name)).count, seeds.count, "\(target): duplicate seed names")
            XCTAssertTrue(seeds.contains { if case .accepted = $0.outcome { true } else { false } },
                          "\(target): no valid seed")
            XCTAssertTrue(seeds.contains { if case .refused = $0.outcome { true } else { false } },
                          "\(target): no malformed seed")
            let dir = root + "/" + target.rawValue
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for seed in seeds {
                XCTAssertLessThanOrEqual(seed.bytes.count, target.maxLength,
                                         "\(target)/\(seed.name) is longer than scripts/fuzz lets the target's inputs grow")
                let path = dir + "/" + seed.name
                try Data(seed.bytes).write(to: URL(fileURLWithPath: path))
                check(target, seed.outcome, path: path, label: "\(target)/\(seed.name)")
                written += 1
            }
        }
        XCTAssertGreaterThanOrEqual(written, 60)
    }

    /// Every input a fuzzer ever crashed a target with stays a test: it must now be read or
    /// refused with a `DataError` naming the file.
    func testFuzzRegressionInputsAreHandled() throws {
        let regressions = Self.packageRoot + "/Fuzz/regressions"
        var replayed = 0
        for target in FuzzTarget.allCases {
            let dir = regressions + "/" + target.rawValue
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for file in files.sorted() where !file.hasPrefix(".") && file != "README.md" {
                check(target, nil, path: dir + "/" + file, label: "regression \(target)/\(file)")
                replayed += 1
            }
        }
        if replayed == 0 { throw XCTSkip("no fuzz regression inputs in \(regressions)") }
    }

    /// Reads `path` the way `target` reads its input and compares with `expected` (nil: any
    /// result, as long as a refusal is a `DataError` naming the file).
    private func check(_ target: FuzzTarget, _ expected: FuzzSeed.Outcome?, path: String, label: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        do {
            let count = try target.read(path)
            switch expected {
            case .accepted(let n)?:
                XCTAssertEqual(count, n, "\(label): read \(count) item(s), expected \(n)", file: file, line: line)
            case .refused(let text)?:
                XCTFail("\(label): accepted (\(count) item(s)), expected an error mentioning \"\(text)\"",
                        file: file, line: line)
            case nil:
                break
            }
        } catch let error as DataError {
            XCTAssertEqual(error.path, path, "\(label): \(error)", file: file, line: line)
            switch expected {
            case .accepted?:
                XCTFail("\(label): refused: \(error)", file: file, line: line)
            case .refused(let text)?:
                XCTAssertTrue(error.description.contains(text),
                              "\(label): error \"\(error)\" does not mention \"\(text)\"", file: file, line: line)
            case nil:
                break
            }
        } catch {
            XCTFail("\(label): expected a DataError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }
}

/// One input file for a fuzz target and what the reader must make of it.
struct FuzzSeed {
    enum Outcome {
        /// Read, giving this many images, labels, class names, archive entries or bytes.
        case accepted(Int)
        /// Refused with a `DataError` whose text contains this.
        case refused(String)
    }
    var name: String
    var bytes: [UInt8]
    var outcome: Outcome
}

/// The fuzz targets of `Fuzz/`, their input formats (see each target's source) and seeds.
enum FuzzTarget: String, CaseIterable {
    case idx, cifar, tar, gzip, png, jpeg, npz, csv, mat

    /// The `-max_len` scripts/fuzz gives the target.
    var maxLength: Int {
        switch self {
        case .idx, .csv: 4_096
        case .cifar, .gzip, .png, .npz, .mat: 8_192
        case .tar, .jpeg: 16_384
        }
    }

    /// Reads the input file at `path` as the target does, through the public readers where
    /// the input is a whole file; returns the number of items read.
    func read(_ path: String) throws -> Int {
        switch self {
        case .idx:
            // IDX seeds are image files unless their name says labels.
            if path.split(separator: "/").last!.hasPrefix("labels") {
                return try IDXFile.readLabels(at: path).count
            }
            return try IDXFile.readImages(at: path).count
        case .cifar:
            // A selector byte, then the file (see Fuzz/CIFARTarget.swift).
            let input = try FileSystem.readAll(path)
            guard let selector = input.first else { return 0 }
            let (content, compressed) = try Gzip.decompressIfNeeded(Array(input.dropFirst()), path: path)
            let source = CIFARSource(path: path, member: nil, baseOffset: 0, compressed: compressed)
            switch selector % 7 {
            case 0: return try CIFARFile.parse(content, path: path, kind: .cifar10, compressed: compressed).count
            case 1: return try CIFARFile.parse(content, path: path, kind: .cifar100, compressed: compressed).count
            case 2: return try CIFARFile.parse(content, path: path, kind: .cifar100, label: .coarse, compressed: compressed).count
            case 3: return try CIFARFile.parse(content, path: path, kind: .cifar10, label: .coarse, compressed: compressed).count
            case 4: return try CIFARFile.parseClassNames(content[...], source: source, expected: 10, what: "CIFAR-10").count
            case 5: return try CIFARFile.parseClassNames(content[...], source: source, expected: 100, what: "fine").count
            default: return try CIFARFile.parseClassNames(content[...], source: source, expected: 20, what: "coarse").count
            }
        case .tar:
            return try TarArchive.read(at: path).entries.count
        case .gzip:
            return try Gzip.decompress(FileSystem.readAll(path), path: path).count
        case .png, .jpeg, .npz, .csv, .mat:
            return try readUserFormat(path)
        }
    }

    func seeds() -> [FuzzSeed] {
        switch self {
        case .idx: return FuzzSeeds.idx()
        case .cifar: return FuzzSeeds.cifar()
        case .tar: return FuzzSeeds.tar()
        case .gzip: return FuzzSeeds.gzip()
        case .png: return FuzzSeeds.png()
        case .jpeg: return FuzzSeeds.jpeg()
        case .npz: return FuzzSeeds.npz()
        case .csv: return FuzzSeeds.csv()
        case .mat: return FuzzSeeds.mat()
        }
    }
}

enum FuzzSeeds {
    static func idx() -> [FuzzSeed] {
        let images = idxBytes(dims: [3, 4, 5], data: pattern(60))
        let labels = idxBytes(dims: [7], data: [0, 1, 2, 3, 4, 5, 9])
        let gz = Gzip.compress(images)
        var badCRC = gz
        badCRC[badCRC.count - 8] ^= 0x01
        return [
            FuzzSeed(name: "images-3x4x5", bytes: images, outcome: .accepted(3)),
            FuzzSeed(name: "images-3x4x5.gz", bytes: gz, outcome: .accepted(3)),
            FuzzSeed(name: "images-two-members.gz",
                     bytes: Gzip.compress(Array(images.prefix(30))) + Gzip.compress(Array(images.dropFirst(30))),
                     outcome: .accepted(3)),
            FuzzSeed(name: "images-1x28x28", bytes: idxBytes(dims: [1, 28, 28], data: pattern(784, seed: 2)),
                     outcome: .accepted(1)),
            FuzzSeed(name: "labels-7", bytes: labels, outcome: .accepted(7)),
            FuzzSeed(name: "labels-7.gz", bytes: Gzip.compress(labels), outcome: .accepted(7)),
            FuzzSeed(name: "images-truncated", bytes: Array(images.dropLast()), outcome: .refused("truncated data")),
            FuzzSeed(name: "images-trailing-bytes", bytes: images + [0], outcome: .refused("trailing bytes")),
            FuzzSeed(name: "images-float32", bytes: idxBytes(dims: [3, 4, 5], data: pattern(60), type: 0x0D),
                     outcome: .refused("expected data type 0x08")),
            FuzzSeed(name: "images-two-dimensions", bytes: idxBytes(dims: [12, 5], data: pattern(60)),
                     outcome: .refused("expected 3 dimension(s)")),
            FuzzSeed(name: "images-zero-rows", bytes: idxBytes(dims: [3, 0, 5], data: []),
                     outcome: .refused("non-zero size")),
            FuzzSeed(name: "images-dimensions-overflow",
                     bytes: idxBytes(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: []),
                     outcome: .refused("overflows")),
            FuzzSeed(name: "images-huge-count", bytes: idxBytes(dims: [0x7FFF_FFFF, 28, 28], data: pattern(784)),
                     outcome: .refused("truncated data")),
            FuzzSeed(name: "images-empty", bytes: [], outcome: .refused("file is empty")),
            FuzzSeed(name: "images-header-cut", bytes: [0, 0, 8, 3, 0, 0, 0], outcome: .refused("truncated header")),
            FuzzSeed(name: "images-bad-magic", bytes: [1, 2] + images.dropFirst(2), outcome: .refused("not an IDX file")),
            FuzzSeed(name: "images-empty-content.gz", bytes: Gzip.compress([]), outcome: .refused("gzip content is empty")),
            FuzzSeed(name: "images-bad-crc.gz", bytes: badCRC, outcome: .refused("CRC-32 mismatch")),
            FuzzSeed(name: "images-cut.gz", bytes: Array(gz.prefix(gz.count / 2)), outcome: .refused("truncated gzip data")),
        ]
    }

    static func cifar() -> [FuzzSeed] {
        func seed(_ name: String, _ selector: UInt8, _ content: [UInt8], _ outcome: FuzzSeed.Outcome) -> FuzzSeed {
            FuzzSeed(name: name, bytes: [selector] + content, outcome: outcome)
        }
        let c10 = cifar10Records([3, 9])
        let c100 = cifar100Records(coarse: [19, 0], fine: [99, 42], seed: 1)
        func names(_ list: [String]) -> [UInt8] { metaText(list) }
        return [
            seed("cifar10-2-records", 0, c10, .accepted(2)),
            seed("cifar10-2-records.gz", 0, Gzip.compress(c10), .accepted(2)),
            seed("cifar100-fine-2-records", 1, c100, .accepted(2)),
            seed("cifar100-coarse-2-records", 2, c100, .accepted(2)),
            seed("cifar10-coarse-asked", 3, c10, .refused("single label")),
            seed("cifar10-label-10", 0, cifar10Records([10]), .refused("expected a label in 0..<10")),
            seed("cifar100-fine-label-100", 1, cifar100Records(coarse: [1], fine: [100]), .refused("fine label")),
            seed("cifar100-coarse-label-20", 2, cifar100Records(coarse: [20], fine: [1]), .refused("coarse label")),
            seed("cifar10-partial-record", 0, c10.prefix(3_073 + 100).map { $0 }, .refused("not a multiple")),
            seed("cifar100-read-as-cifar10", 0, c100, .refused("is this a CIFAR-100 file?")),
            seed("cifar10-empty", 0, [], .refused("file is empty")),
            seed("cifar10-empty-content.gz", 0, Gzip.compress([]), .refused("gzip content is empty")),
            seed("meta-cifar10", 4, names(CIFARClassNames.cifar10), .accepted(10)),
            seed("meta-cifar100-fine", 5, names(CIFARClassNames.cifar100Fine), .accepted(100)),
            seed("meta-cifar100-coarse", 6, names(CIFARClassNames.cifar100Coarse), .accepted(20)),
            seed("meta-cifar10-crlf", 4, Array(CIFARClassNames.cifar10.joined(separator: "\r\n").utf8), .accepted(10)),
            seed("meta-cifar10-9-names", 4, names(Array(CIFARClassNames.cifar10.dropLast())), .refused("found 9 class name(s)")),
            seed("meta-cifar10-not-utf8", 4, Array("airplane\n".utf8) + [0xFF, 0xFE, 0x0A], .refused("not valid UTF-8")),
            seed("meta-cifar10-empty-line", 4,
                 Array((CIFARClassNames.cifar10.prefix(5) + [""] + CIFARClassNames.cifar10.suffix(5)).joined(separator: "\n").utf8),
                 .refused("empty line")),
        ]
    }

    static func tar() -> [FuzzSeed] {
        let official = officialCIFAR10Archive(train: [("data_batch_1", cifar10Records([3]))],
                                              test: cifar10Records([5], seed: 1))
        let folder = CIFARLayout.cifar100.archiveFolder
        let cifar100 = tarBytes([
            TarMember(name: folder + "/", type: UInt8(ascii: "5")),
            TarMember(name: folder + "/coarse_label_names.txt", data: metaText(CIFARClassNames.cifar100Coarse)),
            TarMember(name: folder + "/fine_label_names.txt", data: metaText(CIFARClassNames.cifar100Fine)),
            TarMember(name: folder + "/train.bin", data: cifar100Records(coarse: [2], fine: [7])),
            TarMember(name: folder + "/test.bin", data: cifar100Records(coarse: [19], fine: [99], seed: 1)),
        ])
        let names = tarBytes([
            gnuLongNameMember(String(repeating: "n", count: 130)), TarMember(name: "n", data: pattern(600)),
            paxPathMember("p/q.bin"), TarMember(name: "q", data: pattern(100, seed: 3)),
            TarMember(name: "r", data: [1, 2, 3], prefix: "pre"),
            TarMember(name: "link", type: UInt8(ascii: "2")),
        ])
        let small = tarBytes([TarMember(name: "a.bin", data: pattern(10))])
        var badChecksum = small
        badChecksum[0] ^= 0x20
        var base256 = tarBytes([TarMember(name: "b", data: pattern(5))])
        for k in 124..<136 { base256[k] = 0 }
        base256[124] = 0x80
        base256[135] = 5
        fixTarChecksum(&base256, header: 0)
        var pastEnd = small
        let sizeText = Array("00000077777\0".utf8)
        for k in 0..<12 { pastEnd[124 + k] = sizeText[k] }
        fixTarChecksum(&pastEnd, header: 0)
        let badPax = tarBytes([TarMember(name: "PaxHeader/x", data: Array("99 path=x\n".utf8), type: UInt8(ascii: "x")),
                               TarMember(name: "x", data: [1])])
        return [
            FuzzSeed(name: "cifar10-official-layout.tar", bytes: official, outcome: .accepted(4)),
            FuzzSeed(name: "cifar10-official-layout.tar.gz", bytes: Gzip.compress(official), outcome: .accepted(4)),
            FuzzSeed(name: "cifar100-official-layout.tar.gz", bytes: Gzip.compress(cifar100), outcome: .accepted(4)),
            FuzzSeed(name: "long-names-pax-prefix.tar", bytes: names, outcome: .accepted(3)),
            FuzzSeed(name: "one-end-block.tar", bytes: tarBytes([TarMember(name: "a", data: [7])], endBlocks: 1),
                     outcome: .accepted(1)),
            FuzzSeed(name: "directory-only.tar", bytes: tarBytes([TarMember(name: "d/", type: UInt8(ascii: "5"))]),
                     outcome: .accepted(0)),
            FuzzSeed(name: "base256-size.tar", bytes: base256, outcome: .accepted(1)),
            FuzzSeed(name: "no-end-marker.tar", bytes: tarBytes([TarMember(name: "a", data: [7])], endBlocks: 0),
                     outcome: .refused("without the end-of-archive marker")),
            FuzzSeed(name: "bad-checksum.tar", bytes: badChecksum, outcome: .refused("bad tar header checksum")),
            FuzzSeed(name: "size-past-end.tar", bytes: pastEnd, outcome: .refused("tar entry size past the end")),
            FuzzSeed(name: "cut-in-content.tar", bytes: Array(official.prefix(512 * 6 + 100)),
                     outcome: .refused("truncated")),
            FuzzSeed(name: "malformed-pax.tar", bytes: badPax, outcome: .refused("malformed pax record")),
            FuzzSeed(name: "not-a-tar.tar", bytes: Array(String(repeating: "not a tar archive\n", count: 40).utf8),
                     outcome: .refused("checksum")),
            FuzzSeed(name: "empty.tar", bytes: [], outcome: .refused("file is empty")),
        ]
    }

    static func gzip() -> [FuzzSeed] {
        let text = pattern(1_000)
        let gz = Gzip.compress(text)
        var badCRC = gz
        badCRC[badCRC.count - 8] ^= 0x01
        var badLength = gz
        badLength[badLength.count - 1] ^= 0x01
        var badMethod = gz
        badMethod[2] = 9
        var corrupt = Gzip.compress(pattern(3_000, seed: 5))
        corrupt[10] = 0xFF
        let a = pattern(700, seed: 1), b = pattern(900, seed: 2)
        return [
            FuzzSeed(name: "text.gz", bytes: gz, outcome: .accepted(1_000)),
            FuzzSeed(name: "empty-content.gz", bytes: Gzip.compress([]), outcome: .accepted(0)),
            FuzzSeed(name: "two-members.gz", bytes: Gzip.compress(a) + Gzip.compress(b), outcome: .accepted(1_600)),
            FuzzSeed(name: "zero-padded.gz", bytes: gz + [0, 0, 0, 0], outcome: .accepted(1_000)),
            FuzzSeed(name: "stored-block.gz", bytes: storedGzipMember(Array("hello, imbalance".utf8)),
                     outcome: .accepted(16)),
            FuzzSeed(name: "file-name-header.gz", bytes: storedGzipMember(pattern(50), fileName: "train-labels-idx1-ubyte"),
                     outcome: .accepted(50)),
            FuzzSeed(name: "level-0.gz", bytes: Gzip.compress(pattern(2_000, seed: 4), level: 0), outcome: .accepted(2_000)),
            FuzzSeed(name: "ratio-1000.gz", bytes: Gzip.compress([UInt8](repeating: 0, count: 200_000), level: 9),
                     outcome: .accepted(200_000)),
            FuzzSeed(name: "trailing-garbage.gz", bytes: gz + Array("junk".utf8), outcome: .refused("unexpected bytes after the end")),
            FuzzSeed(name: "bad-crc.gz", bytes: badCRC, outcome: .refused("CRC-32 mismatch")),
            FuzzSeed(name: "bad-length.gz", bytes: badLength, outcome: .refused("length mismatch")),
            FuzzSeed(name: "bad-method.gz", bytes: badMethod, outcome: .refused("invalid gzip header")),
            FuzzSeed(name: "corrupt-deflate.gz", bytes: corrupt, outcome: .refused("corrupt deflate data")),
            FuzzSeed(name: "cut.gz", bytes: Array(gz.prefix(gz.count - 5)), outcome: .refused("truncated gzip data")),
            FuzzSeed(name: "magic-only.gz", bytes: [0x1F, 0x8B], outcome: .refused("truncated gzip data")),
        ]
    }

    /// A gzip member with one stored deflate block, built by hand (optionally with the
    /// FNAME header field) so the seeds include gzip that zlib's own compressor never writes.
    static func storedGzipMember(_ payload: [UInt8], fileName: String? = nil) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let n = UInt16(payload.count)
        var bytes: [UInt8] = [0x1F, 0x8B, 0x08, fileName == nil ? 0x00 : 0x08, 0, 0, 0, 0, 0x00, 0xFF]
        if let fileName { bytes += Array(fileName.utf8) + [0] }
        bytes += [0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)]
        bytes += payload
        bytes += le32(Gzip.crc32(payload)) + le32(UInt32(payload.count))
        return bytes
    }
}
