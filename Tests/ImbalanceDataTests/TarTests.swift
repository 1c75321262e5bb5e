import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

final class TarTests: XCTestCase {
    func testRoundTripPlainAndGzip() throws {
        let dir = try TempDir()
        let a = pattern(1_000, seed: 1)
        let b = pattern(512, seed: 2)
        let tar = tarBytes([
            TarMember(name: "top/", type: UInt8(ascii: "5")),
            TarMember(name: "./top/a.bin", data: a),
            TarMember(name: "top/link", type: UInt8(ascii: "2")),
            TarMember(name: "top/b.bin", data: b),
            TarMember(name: "top/empty", data: []),
        ])
        for (name, bytes) in [("plain.tar", tar), ("packed.tar.gz", Gzip.compress(tar))] {
            let path = try dir.write(name, bytes)
            let archive = try TarArchive.read(at: path)
            XCTAssertEqual(archive.wasCompressed, name.hasSuffix(".gz"))
            XCTAssertEqual(archive.entries.map(\.name), ["top/a.bin", "top/b.bin", "top/empty"])
            XCTAssertEqual(archive.entries.map(\.size), [1_000, 512, 0])
            XCTAssertEqual(Array(archive.content(of: archive.entry(named: "top/a.bin")!)), a)
            XCTAssertEqual(Array(archive.content(of: archive.entry(named: "./top/b.bin")!)), b)
            XCTAssertEqual(archive.entries(withBaseName: "b.bin").map(\.name), ["top/b.bin"])
            XCTAssertEqual(archive.entries[0].dataOffset, 1024)   // after the directory header and its own
        }
    }

    func testLongNamesPrefixAndPax() throws {
        let long = String(repeating: "d", count: 120) + "/data_batch_1.bin"
        let paxName = String(repeating: "p", count: 150) + "/test_batch.bin"
        let tar = tarBytes([
            gnuLongNameMember(long), TarMember(name: String(long.prefix(100)), data: [1, 2, 3]),
            paxPathMember(paxName), TarMember(name: "short", data: [4]),
            TarMember(name: "meta.txt", data: [5], prefix: "cifar-10-batches-bin"),
            TarMember(name: "after", data: [6]),
        ])
        let archive = try TarArchive(bytes: tar, path: "mem.tar")
        XCTAssertEqual(archive.entries.map(\.name), [long, paxName, "cifar-10-batches-bin/meta.txt", "after"])
        XCTAssertEqual(archive.entries.map { Array(archive.content(of: $0)) }, [[1, 2, 3], [4], [5], [6]])
        XCTAssertEqual(archive.entries[0].baseName, "data_batch_1.bin")
    }

    func testEndMarkerVariants() throws {
        let members = [TarMember(name: "a", data: [7])]
        XCTAssertEqual(try TarArchive(bytes: tarBytes(members, endBlocks: 1), path: "one").entries.count, 1)
        // Bytes after the end-of-archive marker are not read (as tar(1)).
        let padded = tarBytes(members) + [UInt8](repeating: 0, count: 10_240 - 2048)
        XCTAssertEqual(try TarArchive(bytes: padded, path: "padded").entries.count, 1)
        // An archive of only the end marker is a valid, empty archive.
        XCTAssertEqual(try TarArchive(bytes: [UInt8](repeating: 0, count: 1024), path: "empty").entries, [])
        // The same name twice: both kept, the last one wins by name.
        let twice = try TarArchive(bytes: tarBytes([TarMember(name: "x", data: [1]), TarMember(name: "x", data: [2])]), path: "t")
        XCTAssertEqual(twice.entries.count, 2)
        XCTAssertEqual(Array(twice.content(of: twice.entry(named: "x")!)), [2])
        XCTAssertEqual(twice.entries(withBaseName: "x").count, 1)
    }

    func testHistoricSignedChecksumAccepted() throws {
        var tar = tarBytes([TarMember(name: "caf\u{e9}", data: [1])])   // a byte >= 0x80 in the name
        let signed = tar[0..<512].enumerated().reduce(0) { acc, item in
            acc + ((148..<156).contains(item.offset) ? 0x20 : Int(Int8(bitPattern: item.element)))
        }
        let s = String(signed, radix: 8)
        let text = Array((String(repeating: "0", count: 6 - s.count) + s).utf8) + [0, 0x20]
        for (k, b) in text.enumerated() { tar[148 + k] = b }
        XCTAssertEqual(try TarArchive(bytes: tar, path: "signed").entries.map(\.name), ["caf\u{e9}"])
    }

    /// Malformed archives, each written to disk and read through `TarArchive.read`: every one
    /// must give a `DataError` naming the file and saying what was expected.
    func testMalformedArchivesGiveClearErrors() throws {
        let dir = try TempDir()
        let good = tarBytes([TarMember(name: "dir/a.bin", data: pattern(700)), TarMember(name: "dir/b.bin", data: [1, 2])])
        var cases: [(name: String, bytes: [UInt8], expect: [String])] = []

        cases.append(("empty.tar", [], ["file is empty (0 bytes)", "tar archive"]))
        cases.append(("empty-gzip.tar.gz", Gzip.compress([]), ["gzip content is empty"]))
        var badChecksum = good
        badChecksum[3] ^= 0x01
        cases.append(("bad-checksum.tar", badChecksum, ["checksum", "byte 148", "bad tar header checksum", "stores 0o"]))
        var secondBad = good
        secondBad[1536 + 5] ^= 0x40   // the second header (after 512 + 1024 of a.bin)
        cases.append(("second-header-bad.tar", secondBad, ["byte 1684", "bad tar header checksum", "corrupt archive"]))
        var huge = good
        for (k, b) in Array("77777777777".utf8).enumerated() { huge[124 + k] = b }
        fixTarChecksum(&huge, header: 0)
        cases.append(("size-past-end.tar", huge, ["size of entry 'dir/a.bin'", "byte 124", "size past the end", "8589934591 bytes"]))
        var base256 = good
        base256[124] = 0x80
        for k in 125..<136 { base256[k] = 0xFF }
        fixTarChecksum(&base256, header: 0)
        cases.append(("base256-huge.tar", base256, ["size of entry 'dir/a.bin'", "overflows"]))
        var negative = good
        negative[124] = 0xFF
        fixTarChecksum(&negative, header: 0)
        cases.append(("base256-negative.tar", negative, ["negative"]))
        var notOctal = good
        notOctal[126] = UInt8(ascii: "9")
        fixTarChecksum(&notOctal, header: 0)
        cases.append(("size-not-octal.tar", notOctal, ["size of entry 'dir/a.bin'", "expected an octal number", "39"]))
        var checksumText = good
        for k in 0..<8 { checksumText[148 + k] = UInt8(ascii: "x") }
        cases.append(("checksum-not-octal.tar", checksumText, ["checksum", "byte 148", "expected an octal checksum", "78 78"]))
        cases.append(("cut-in-header.tar", Array(good.prefix(1536 + 100)), ["header", "byte 1536", "expected a 512-byte header, found only 100"]))
        cases.append(("cut-in-data.tar", Array(good.prefix(512 + 300)), ["size of entry 'dir/a.bin'", "only 300 byte(s) follow"]))
        cases.append(("cut-in-padding.tar", Array(good.prefix(512 + 800)), ["padding of entry 'dir/a.bin'", "byte 1212"]))
        cases.append(("no-end-marker.tar", Array(good.prefix(2560)), ["end-of-archive marker", "byte 2560", "truncated tar archive", "after 2 header(s)"]))
        let gz = Gzip.compress(good)
        cases.append(("truncated.tar.gz", Array(gz.prefix(gz.count / 2)), ["truncated gzip data"]))
        var crc = gz
        crc[crc.count - 6] ^= 0xFF
        cases.append(("bad-crc.tar.gz", crc, ["CRC-32 mismatch"]))
        cases.append(("random.tar.gz", Gzip.compress(pattern(4096, seed: 9)), ["not a tar archive", "byte 148 of the decompressed data"]))
        cases.append(("lone-longname.tar", tarBytes([gnuLongNameMember("x/y")]), ["long-name or pax header is followed by the end-of-archive marker"]))
        var pax = tarBytes([TarMember(name: "PaxHeader", data: Array("99 path=x\n".utf8), type: UInt8(ascii: "x")),
                            TarMember(name: "a", data: [1])])
        cases.append(("bad-pax.tar", pax, ["pax header", "byte 512", "malformed pax record"]))
        pax = tarBytes([TarMember(name: "PaxHeader", data: Array("11 size=-5\n".utf8), type: UInt8(ascii: "x")),
                        TarMember(name: "a", data: [1])])
        cases.append(("bad-pax-size.tar", pax, ["pax size", "non-negative decimal size"]))
        pax = tarBytes([TarMember(name: "PaxHeader", data: Array("20 size=99999999999\n".utf8), type: UInt8(ascii: "x")),
                        TarMember(name: "a", data: [1])])
        cases.append(("pax-size-past-end.tar", pax, ["size of entry 'a'", "size past the end"]))

        for c in cases {
            let path = try dir.write(c.name, c.bytes)
            assertDataError(try TarArchive.read(at: path), path: path, contains: c.expect)
        }
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        let sub = try dir.makeDirectory("dir.tar.gz")
        assertDataError(try TarArchive.read(at: sub), path: sub, contains: ["is a directory"])
    }

    /// Deterministic mutations of a small archive (bytes flipped, cut, sizes rewritten with a
    /// valid checksum): the reader must return or throw `DataError`, never crash or hang,
    /// and every entry it returns must lie inside the bytes.
    func testMutatedArchivesNeverCrash() throws {
        let good = tarBytes([
            gnuLongNameMember(String(repeating: "n", count: 130)), TarMember(name: "n", data: pattern(600)),
            paxPathMember("p/q.bin"), TarMember(name: "q", data: pattern(100, seed: 3)),
            TarMember(name: "r", data: [1, 2, 3], prefix: "pre"),
        ])
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var accepted = 0
        for trial in 0..<600 {
            var bytes = good
            switch trial % 4 {
            case 0:
                for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            case 1:
                bytes = Array(bytes.prefix(next() % bytes.count))
            case 2:
                let header = [0, 1024, 2560, 3584, 4608][next() % 5]
                for k in 124..<136 { bytes[header + k] = UInt8(truncatingIfNeeded: next()) }
                fixTarChecksum(&bytes, header: header)
            default:
                let at = next() % bytes.count
                bytes[at] = UInt8(truncatingIfNeeded: next())
                fixTarChecksum(&bytes, header: at / 512 * 512)
            }
            do {
                let archive = try TarArchive(bytes: bytes, path: "mutant-\(trial)")
                for e in archive.entries {
                    XCTAssertTrue(e.dataOffset >= 0 && e.size >= 0 && e.dataOffset + e.size <= bytes.count)
                }
                accepted += 1
            } catch let error as DataError {
                XCTAssertEqual(error.path, "mutant-\(trial)")
            }
        }
        XCTAssertLessThan(accepted, 600)
    }
}
