import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

final class GzipTests: XCTestCase {
    func testRoundTripAndPassThrough() throws {
        let data = pattern(100_000)
        let gz = Gzip.compress(data)
        XCTAssertTrue(Gzip.hasGzipMagic(gz))
        XCTAssertEqual(try Gzip.decompress(gz, path: "x.gz"), data)
        let (raw, compressed) = try Gzip.decompressIfNeeded(data, path: "x")
        XCTAssertFalse(compressed)
        XCTAssertEqual(raw, data)
        XCTAssertEqual(try Gzip.decompress(Gzip.compress([]), path: "empty.gz"), [])
    }

    func testHighlyCompressibleDataGrowsOutput() throws {
        let data = [UInt8](repeating: 7, count: 3_000_000)   // ratio ~1000:1, beyond the 8x hint
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(data), path: "zeros.gz"), data)
    }

    func testMultiMember() throws {
        let a = pattern(5_000), b = pattern(7_000, seed: 3)
        let joined = Gzip.compress(a) + Gzip.compress(b)
        XCTAssertEqual(try Gzip.decompress(joined, path: "multi.gz"), a + b)
        // Zero padding after the last member is tolerated, as gzip(1) does.
        XCTAssertEqual(try Gzip.decompress(joined + [0, 0, 0], path: "padded.gz"), a + b)
    }

    /// A member built by hand (stored deflate block + zlib's CRC-32) checks `crc32` and
    /// that the reader accepts any valid gzip, not just what our compressor writes.
    func testHandBuiltStoredMember() throws {
        let payload: [UInt8] = Array("hello, imbalance".utf8)
        XCTAssertEqual(try Gzip.decompress(storedMember(payload), path: "stored.gz"), payload)
        XCTAssertEqual(Gzip.crc32(Array("123456789".utf8)), 0xCBF4_3926)  // the standard check value
    }

    func testCorruptDeflateStream() {
        var gz = Gzip.compress(pattern(10_000))
        gz[10] = 0xFF   // first deflate byte: block type 11 is invalid
        assertDataError(try Gzip.decompress(gz, path: "/data/corrupt.gz"),
                        contains: ["/data/corrupt.gz", "corrupt deflate data", "byte"])
    }

    func testBadCRC() {
        var gz = Gzip.compress(pattern(10_000))
        gz[gz.count - 8] ^= 0x01
        assertDataError(try Gzip.decompress(gz, path: "/data/badcrc.gz"),
                        contains: ["/data/badcrc.gz", "CRC-32 mismatch"])
        var hand = storedMember([1, 2, 3], crc: 0xDEAD_BEEF)
        assertDataError(try Gzip.decompress(hand, path: "hand.gz"), contains: ["hand.gz", "CRC-32"])
        hand = storedMember([1, 2, 3], isize: 4)
        assertDataError(try Gzip.decompress(hand, path: "hand.gz"), contains: ["hand.gz", "length mismatch"])
    }

    func testTruncated() {
        let gz = Gzip.compress(pattern(50_000))
        for cut in [gz.count - 1, gz.count - 8, gz.count / 2, 12] {
            assertDataError(try Gzip.decompress(Array(gz.prefix(cut)), path: "/data/cut.gz"),
                            contains: ["/data/cut.gz", "truncated gzip data", "byte \(cut)"])
        }
    }

    func testTrailingGarbageAndOutputLimit() {
        let gz = Gzip.compress(pattern(1_000))
        assertDataError(try Gzip.decompress(gz + [0x41, 0x42], path: "tail.gz"),
                        contains: ["tail.gz", "after the end of gzip member 1", "41 42"])
        assertDataError(try Gzip.decompress(gz, path: "big.gz", maxOutputBytes: 500),
                        contains: ["big.gz", "exceeds the limit of 500 bytes"])
    }

    func testReadFileErrorsNameThePath() throws {
        let dir = try TempDir()
        assertDataError(try Gzip.readFile(at: dir.file("absent")), contains: [dir.file("absent"), "no such file"])
        assertDataError(try Gzip.readFile(at: dir.path), contains: [dir.path, "is a directory"])
    }

    private func storedMember(_ payload: [UInt8], crc: UInt32? = nil, isize: UInt32? = nil) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let n = UInt16(payload.count)
        var bytes: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]
        bytes += [0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)]
        bytes += payload
        bytes += le32(crc ?? Gzip.crc32(payload)) + le32(isize ?? UInt32(payload.count))
        return bytes
    }
}
