import Foundation
import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

// Builders for CIFAR batches and tar archives, so every test file is written by the tests.

/// The pixels of record `i` of a test batch: deterministic and different per record.
func cifarImage(_ i: Int, seed: Int) -> [UInt8] {
    pattern(CIFARFile.imageBytes, seed: seed &* 1_000 &+ i)
}

/// CIFAR-10 records: one label byte then the image, per label.
func cifar10Records(_ labels: [UInt8], seed: Int = 0) -> [UInt8] {
    var out: [UInt8] = []
    for (i, label) in labels.enumerated() { out.append(label); out += cifarImage(i, seed: seed) }
    return out
}

/// CIFAR-100 records: coarse and fine label bytes then the image.
func cifar100Records(coarse: [UInt8], fine: [UInt8], seed: Int = 0) -> [UInt8] {
    precondition(coarse.count == fine.count)
    var out: [UInt8] = []
    for i in 0..<coarse.count { out += [coarse[i], fine[i]]; out += cifarImage(i, seed: seed) }
    return out
}

/// The pixels a loader should produce for `count` records of `seed`.
func cifarPixels(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).flatMap { cifarImage($0, seed: seed) }
}

/// The class-name file content for `names` (trailing empty line, as the official files).
func metaText(_ names: [String]) -> [UInt8] {
    Array((names.joined(separator: "\n") + "\n\n").utf8)
}

/// A pax extended-header member setting `path` for the member that follows.
func paxPathMember(_ path: String) -> TarMember {
    let body = " path=\(path)\n"
    var length = body.utf8.count + 1
    while String(length).count + body.utf8.count != length { length += 1 }
    return TarMember(name: "PaxHeader/x", data: Array((String(length) + body).utf8), type: UInt8(ascii: "x"))
}

/// A GNU long-name member naming the member that follows.
func gnuLongNameMember(_ name: String) -> TarMember {
    TarMember(name: "././@LongLink", data: Array(name.utf8) + [0], type: UInt8(ascii: "L"))
}

/// The official CIFAR-10 archive layout with the given batches (name -> records).
func officialCIFAR10Archive(train: [(String, [UInt8])], test: [UInt8]?, meta: [String]? = CIFARClassNames.cifar10,
                            folder: String = "cifar-10-batches-bin") -> [UInt8] {
    var members = [TarMember(name: folder + "/", type: UInt8(ascii: "5"))]
    if let meta { members.append(TarMember(name: folder + "/batches.meta.txt", data: metaText(meta))) }
    for (name, records) in train { members.append(TarMember(name: "\(folder)/\(name).bin", data: records)) }
    if let test { members.append(TarMember(name: folder + "/test_batch.bin", data: test)) }
    members.append(TarMember(name: folder + "/readme.html", data: Array("<html></html>\n".utf8)))
    return tarBytes(members)
}

/// Asserts that `body` throws a `DataError` whose `path` is exactly `path` and whose text
/// contains every one of `parts`.
func assertDataError<T>(_ body: @autoclosure () throws -> T, path: String, contains parts: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a DataError for \(path) containing \(parts)", file: file, line: line)
    } catch let error as DataError {
        XCTAssertEqual(error.path, path, "error: \(error)", file: file, line: line)
        let text = error.description
        for part in parts {
            XCTAssertTrue(text.contains(part), "error \"\(text)\" does not mention \"\(part)\"",
                          file: file, line: line)
        }
    } catch {
        XCTFail("expected a DataError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}
