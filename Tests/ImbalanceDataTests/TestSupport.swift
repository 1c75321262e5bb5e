import Foundation
import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

/// A fresh temporary directory per test, removed afterwards.
final class TempDir {
    let path: String
    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/imbench-data-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func makeDirectory(_ name: String) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

/// IDX bytes: header (magic with `type` and `dims.count`, big-endian dims) then `data`.
func idxBytes(dims: [UInt32], data: [UInt8], type: UInt8 = 0x08, dimCount: UInt8? = nil) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, dimCount ?? UInt8(dims.count)]
    for d in dims {
        bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)]
    }
    return bytes + data
}

/// Deterministic pseudo-pixels so round trips check real content.
func pattern(_ n: Int, seed: Int = 0) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 7) ^ ($0 >> 3)) }
}

/// Asserts that `body` throws a `DataError` whose text contains every one of `parts`.
func assertDataError<T>(_ body: @autoclosure () throws -> T, contains parts: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a DataError containing \(parts)", file: file, line: line)
    } catch let error as DataError {
        let text = error.description
        for part in parts {
            XCTAssertTrue(text.contains(part), "error \"\(text)\" does not mention \"\(part)\"",
                          file: file, line: line)
        }
    } catch {
        XCTFail("expected a DataError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}

/// Writes a complete small IDX dataset (28x28 images) into `dir`, returning the labels.
@discardableResult
func writeSmallDataset(in dir: String, trainCount: Int = 30, testCount: Int = 10,
                       gzip: Bool, labelFor: (Int) -> UInt8 = { UInt8($0 % 10) }) throws -> [UInt8] {
    func put(_ name: String, _ bytes: [UInt8]) throws {
        let target = dir + "/" + name + (gzip ? ".gz" : "")
        try Data(gzip ? Gzip.compress(bytes) : bytes).write(to: URL(fileURLWithPath: target))
    }
    let trainLabels = (0..<trainCount).map(labelFor)
    try put("train-images-idx3-ubyte",
            idxBytes(dims: [UInt32(trainCount), 28, 28], data: pattern(trainCount * 784)))
    try put("train-labels-idx1-ubyte", idxBytes(dims: [UInt32(trainCount)], data: trainLabels))
    try put("t10k-images-idx3-ubyte",
            idxBytes(dims: [UInt32(testCount), 28, 28], data: pattern(testCount * 784, seed: 1)))
    try put("t10k-labels-idx1-ubyte",
            idxBytes(dims: [UInt32(testCount)], data: (0..<testCount).map { UInt8($0 % 10) }))
    return trainLabels
}
