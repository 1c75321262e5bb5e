import XCTest
@testable import ImbalanceFetch
import ImbalanceData

/// SHA-256 against FIPS 180-2's examples, MD5 against RFC 1321's test suite, both streamed
/// in odd chunk sizes, and both against a file hashed once with Python's hashlib.
final class DigestTests: XCTestCase {
    func testSHA256StandardVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a', fed in 1,000 chunks of 1,000 bytes.
        var h = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        for _ in 0..<1_000 { h.update(chunk) }
        XCTAssertEqual(h.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The standard vectors and a long stream on both implementations: the CPU's SHA
    /// extensions (where it has them) and the portable one.
    func testSHA256ExtensionsAndPortableAgree() {
        let data = fixtureBytes(count: 300_001)
        var results: [String] = []
        for portable in [false, true] {
            SHA256.forcePortable(portable)
            defer { SHA256.forcePortable(false) }
            XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
            results.append(SHA256.hex(data))
        }
        XCTAssertEqual(results[0], Self.fixtureSHA256)
        XCTAssertEqual(results[1], Self.fixtureSHA256)
    }

    func testMD5RFC1321Suite() {
        let suite: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, expected) in suite {
            XCTAssertEqual(MD5.hex(input), expected, "MD5(\"\(input)\")")
        }
        var h = MD5()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        for _ in 0..<1_000 { h.update(chunk) }
        XCTAssertEqual(h.hexDigest(), "7707d6ae4e027c70eea2a935c2296f21")
    }

    /// Any split of the input gives the one-shot digest, including splits at and around the
    /// 55/56/64-byte padding boundaries.
    func testChunkingDoesNotMatter() {
        let data = fixtureBytes(count: 1_000)
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1_000] {
            let input = Array(data[0..<length])
            let sha = SHA256.hex(input), md5 = MD5.hex(input)
            for step in [1, 3, 63, 64, 65, 200] {
                var s = SHA256(), m = MD5()
                var i = 0
                while i < length {
                    let j = min(length, i + step)
                    s.update(input[i..<j])
                    m.update(input[i..<j])
                    i = j
                }
                XCTAssertEqual(s.hexDigest(), sha, "SHA-256 length \(length) step \(step)")
                XCTAssertEqual(m.hexDigest(), md5, "MD5 length \(length) step \(step)")
            }
        }
        // finalize() leaves the hasher usable.
        var s = SHA256()
        s.update(Array("ab".utf8))
        _ = s.finalize()
        s.update(Array("c".utf8))
        XCTAssertEqual(s.hexDigest(), SHA256.hex("abc"))
    }

    /// `fixtureBytes(count: 300_001)` hashed with Python once:
    /// `hashlib.sha256(bytes((i*31+7)%251 for i in range(300001)))` (and `hashlib.md5`).
    static let fixtureSHA256 = "e082bc823c3f18075b3776cc99b6be2f033d0eeedb98857f6339bc1eb5d3981c"
    static let fixtureMD5 = "a77e57c3ee95eb4e984ee828d4021d0e"

    func testFileHashesMatchPythonHashlib() throws {
        let dir = try TempDirectory()
        let data = fixtureBytes(count: 300_001)
        let plain = try dir.write("fixture.bin", data)
        let hashes = try FileHasher.hash(path: plain)
        XCTAssertEqual(hashes.file, Checksum(size: 300_001, sha256: Self.fixtureSHA256, md5: Self.fixtureMD5))
        XCTAssertNil(hashes.content)

        // The same content gzip-compressed (two members, as pigz or `cat a.gz b.gz` write,
        // plus zero padding): the file hashes differ, the content hashes are Python's.
        let gz = Gzip.compress(Array(data[0..<100_000])) + Gzip.compress(Array(data[100_000...]))
            + [UInt8](repeating: 0, count: 7)
        let compressed = try dir.write("fixture.bin.gz", gz)
        let gzHashes = try FileHasher.hash(path: compressed)
        XCTAssertEqual(gzHashes.file.size, Int64(gz.count))
        XCTAssertEqual(gzHashes.content, Checksum(size: 300_001, sha256: Self.fixtureSHA256, md5: Self.fixtureMD5))
        XCTAssertNil(gzHashes.contentError)

        // A truncated gzip file: raw hashes still computed, the content reported as broken.
        let cut = try dir.write("cut.gz", Array(gz[0..<(gz.count / 2)]))
        let cutHashes = try FileHasher.hash(path: cut)
        XCTAssertNil(cutHashes.content)
        XCTAssertTrue(cutHashes.contentError?.contains("truncated") ?? false, cutHashes.contentError ?? "")
    }
}
