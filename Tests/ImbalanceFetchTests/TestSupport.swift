import Foundation
import XCTest
import ImbalanceData
@testable import ImbalanceFetch

/// The bytes whose hashes Python computed for `DigestTests`: byte i is (i*31+7) mod 251.
func fixtureBytes(count: Int) -> [UInt8] {
    (0..<count).map { UInt8((($0 &* 31) &+ 7) % 251) }
}

/// A fresh temporary directory, removed when released.
final class TempDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/imbench-fetch-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    func contents(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: file(name)).map { [UInt8]($0) }
    }
}

/// The repository root, three levels above this file.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A POSIX tar archive (ustar headers) holding `files` in order, for unpack tests.
func tarArchive(_ files: [(String, [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    func field(_ text: String, _ length: Int) -> [UInt8] {
        var b = Array(text.utf8.prefix(length))
        b += [UInt8](repeating: 0, count: length - b.count)
        return b
    }
    func octal(_ value: Int, _ length: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        return field(String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, length)
    }
    for (name, data) in files {
        var header = field(name, 100) + octal(0o644, 8) + octal(0, 8) + octal(0, 8)
        header += octal(data.count, 12) + octal(0, 12) + [UInt8](repeating: 0x20, count: 8)
        header += [UInt8(ascii: "0")] + field("", 100) + field("ustar", 6) + Array("00".utf8)
        header += field("", 32) + field("", 32) + field("", 8) + field("", 8) + field("", 155)
        header += [UInt8](repeating: 0, count: 512 - header.count)
        let sum = header.reduce(0) { $0 + Int($1) }
        let check = octal(sum, 7) + [0x20]
        header.replaceSubrange(148..<156, with: check)
        out += header + data
        out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }
    return out + [UInt8](repeating: 0, count: 1024)
}

/// A manifest for one served dataset: files named by `files`, checksums computed here.
func testManifest(files: [(String, [UInt8])], mirrors: [String], name: String = "testset") -> DatasetManifest {
    let entries = files.map { (fileName, bytes) in
        ManifestFile(name: fileName, size: Int64(bytes.count), sha256: SHA256.hex(bytes), md5: MD5.hex(bytes),
                     sources: ["sha256": "computed by the test"])
    }
    return DatasetManifest(
        schemaVersion: 1, name: name, datasetKind: nil, displayName: "Test set", homepage: "http://127.0.0.1/",
        citation: nil, license: nil, format: "idx", formatDescription: nil,
        imageShape: .init(channels: 1, height: 2, width: 2), classNames: ["a", "b"], coarseClassNames: nil,
        recordLayout: nil, splits: [], mirrors: mirrors.map { .init(url: $0, note: nil) }, files: entries, notes: nil)
}
