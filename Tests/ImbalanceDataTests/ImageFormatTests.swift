import Foundation
import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

/// PNG, JPEG and the grey conversion against files and pixels from third-party writers
/// (pypng, Pillow: scripts/make_image_fixtures.py), plus malformed files.
final class ImageFormatTests: XCTestCase {
    func testEveryPNGColourTypeDepthAndInterlaceDecodesToTheSourcePixels() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: ImageFixtures.directory + "/png").sorted()
        XCTAssertEqual(names.count, 30)
        for name in names {
            let key = "png/" + name
            let expected = try XCTUnwrap(ImageFixtures.image(key), key)
            let decoded = try ImageFile.decode(ImageFixtures.bytes(key), path: key)
            XCTAssertEqual(decoded, expected, key)
        }
    }

    func testOwnEncoderRoundTripsEveryFilterAndLayout() throws {
        let w = 9, h = 7
        for (color, depth) in [(PNGFile.ColorType.grey, 1), (.grey, 4), (.grey, 8), (.grey, 16), (.rgb, 8), (.rgb, 16),
                               (.palette, 2), (.greyAlpha, 8), (.rgba, 16)] {
            for interlaced in [false, true] {
                let top = (1 << depth) - 1
                let entries = color == .palette ? 3 : 0
                let samples = (0..<(w * h * color.samples)).map { UInt16(($0 * 37 + 11) % (color == .palette ? entries : top + 1)) }
                let palette: [UInt8]? = color == .palette ? [10, 20, 30, 40, 50, 60, 70, 80, 90] : nil
                let file = PNGFile.encode(width: w, height: h, color: color, depth: depth, samples: samples,
                                          palette: palette, interlaced: interlaced, filters: [0, 1, 2, 3, 4], idatChunkSize: 7)
                let image = try PNGFile.decode(file, path: "mem.png")
                XCTAssertEqual(image.width, w)
                for y in 0..<h { for x in 0..<w {
                    let s = (y * w + x) * color.samples
                    func eight(_ v: UInt16) -> UInt8 {
                        depth == 16 ? UInt8((Int(v) * 255 + 32767) / 65535) : depth == 8 ? UInt8(v) : UInt8(Int(v) * 255 / top)
                    }
                    switch color {
                    case .grey, .greyAlpha: XCTAssertEqual(image.pixels[y * w + x], eight(samples[s]))
                    case .rgb, .rgba:
                        for k in 0..<3 { XCTAssertEqual(image.pixels[(y * w + x) * 3 + k], eight(samples[s + k])) }
                    case .palette:
                        for k in 0..<3 { XCTAssertEqual(image.pixels[(y * w + x) * 3 + k], palette![Int(samples[s]) * 3 + k]) }
                    }
                } }
            }
        }
    }

    func testMalformedPNGsNameTheFileAndTheProblem() throws {
        let good = PNGFile.encode(width: 4, height: 3, color: .rgb, depth: 8, samples: (0..<36).map { UInt16($0) })
        func chunkOffset(_ type: String, in bytes: [UInt8]) -> Int {
            var at = 8
            while at + 8 <= bytes.count {
                if String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self) == type { return at }
                at += 12 + Int(be32(bytes, at))
            }
            return -1
        }
        func withCRC(_ bytes: [UInt8], chunk type: String) -> [UInt8] {
            var b = bytes
            let at = chunkOffset(type, in: b), length = Int(be32(b, at))
            let crc = b.withUnsafeBytes { Inflate.crc32(UnsafeRawBufferPointer(rebasing: $0[(at + 4)..<(at + 8 + length)])) }
            b.replaceSubrange((at + 8 + length)..<(at + 12 + length), with: be32Bytes(crc))
            return b
        }
        assertDataError(try PNGFile.decode([], path: "e.png"), contains: ["e.png", "empty"])
        assertDataError(try PNGFile.decode(Array(good.prefix(7)), path: "s.png"), contains: ["s.png", "signature"])
        var crc = good; crc[20] ^= 1
        assertDataError(try PNGFile.decode(crc, path: "c.png"), contains: ["c.png", "chunk IHDR", "CRC mismatch"])
        assertDataError(try PNGFile.decode(Array(good.dropLast(12)), path: "t.png"), contains: ["t.png", "without an IEND"])
        assertDataError(try PNGFile.decode(Array(good.dropLast(5)), path: "t2.png"), contains: ["t2.png", "truncated chunk header"])
        assertDataError(try PNGFile.decode(good + [0], path: "x.png"), contains: ["x.png", "after IEND"])
        var depth = good; depth[24] = 4
        assertDataError(try PNGFile.decode(withCRC(depth, chunk: "IHDR"), path: "d.png"), contains: ["bit depth 4 is not allowed for RGB"])
        var lace = good; lace[28] = 2
        assertDataError(try PNGFile.decode(withCRC(lace, chunk: "IHDR"), path: "i.png"), contains: ["interlace method 2"])
        var big = good; big.replaceSubrange(16..<20, with: be32Bytes(70_000)); big.replaceSubrange(20..<24, with: be32Bytes(70_000))
        assertDataError(try PNGFile.decode(withCRC(big, chunk: "IHDR"), path: "b.png"), contains: ["exceeds the limit"])
        var wide = good; wide.replaceSubrange(16..<20, with: be32Bytes(5))
        assertDataError(try PNGFile.decode(withCRC(wide, chunk: "IHDR"), path: "w.png"), contains: ["w.png", "IDAT", "holds 39 bytes; expected 48"])
        var narrow = good; narrow.replaceSubrange(16..<20, with: be32Bytes(3))
        assertDataError(try PNGFile.decode(withCRC(narrow, chunk: "IHDR"), path: "n.png"), contains: ["more than the"])
        // A filter type of 5 in the first row.
        let raw: [UInt8] = [5] + [UInt8](repeating: 0, count: 12) + [0] + [UInt8](repeating: 0, count: 12) + [0] + [UInt8](repeating: 0, count: 12)
        let idat = Inflate.deflate(raw)
        var filtered = Array(good[0..<33])
        for (type, data) in [("IDAT", idat), ("IEND", [UInt8]())] {
            let body = Array(type.utf8) + data
            filtered += be32Bytes(UInt32(data.count)) + body + be32Bytes(body.withUnsafeBytes { Inflate.crc32($0) })
        }
        assertDataError(try PNGFile.decode(filtered, path: "f.png"), contains: ["filter type 5"])
        // Unknown critical chunk; chunk between IDATs; palette image without PLTE; index out of range.
        func insert(_ type: String, _ data: [UInt8], before: String, into bytes: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            var b = bytes
            b.insert(contentsOf: be32Bytes(UInt32(data.count)) + body + be32Bytes(body.withUnsafeBytes { Inflate.crc32($0) }),
                     at: chunkOffset(before, in: bytes))
            return b
        }
        assertDataError(try PNGFile.decode(insert("ABCD", [1], before: "IDAT", into: good), path: "u.png"), contains: ["unknown critical chunk ABCD"])
        XCTAssertNoThrow(try PNGFile.decode(insert("abCD", [1], before: "IDAT", into: good), path: "a.png"))
        let split = PNGFile.encode(width: 4, height: 3, color: .rgb, depth: 8, samples: (0..<36).map { UInt16($0) }, idatChunkSize: 10)
        assertDataError(try PNGFile.decode(insert("tEXt", Array("a\u{0}b".utf8), before: "IEND",
                                                  into: insert("tEXt", Array("k\u{0}v".utf8), before: "IEND", into: split)).splittingIDATRun(), path: "s2.png"),
                        contains: ["not consecutive"])
        let pal = PNGFile.encode(width: 2, height: 1, color: .palette, depth: 8, samples: [0, 2], palette: [1, 2, 3, 4, 5, 6])
        assertDataError(try PNGFile.decode(pal, path: "p.png"), contains: ["palette index 2", "2 entries"])
        let noPalette = PNGFile.encode(width: 2, height: 1, color: .palette, depth: 8, samples: [0, 0])
        assertDataError(try PNGFile.decode(noPalette, path: "np.png"), contains: ["without a PLTE"])
    }

    func testJPEGsDecodeAsPillowDecodesThem() throws {
        for name in ["baseline", "progressive", "grey", "subsampling444", "subsampling420"] {
            let key = "jpeg/\(name).jpg"
            let expected = try XCTUnwrap(ImageFixtures.image(key), key)
            let bytes = try ImageFixtures.bytes(key)
            let decoded = try ImageFile.decode(bytes, path: key)
            XCTAssertEqual(decoded.width, expected.width, key)
            XCTAssertEqual(decoded.channels, expected.channels, key)
            // Pillow's wheel bundles its own libjpeg-turbo; both use the integer IDCT and
            // fancy upsampling, so the bytes agree exactly.
            XCTAssertEqual(decoded.pixels, expected.pixels, key)
            XCTAssertEqual(try JPEGFile.info(bytes, path: key).progressive, name == "progressive", key)
        }
    }

    func testMalformedJPEGsAreRefusedWithLibjpegsMessage() throws {
        let good = try ImageFixtures.bytes("jpeg/baseline.jpg")
        assertDataError(try ImageFile.decode(Array(good.prefix(good.count / 2)), path: "half.jpg"),
                        contains: ["half.jpg", "not a valid JPEG", "Premature end"])
        assertDataError(try ImageFile.decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0], path: "h.jpg"), contains: ["h.jpg", "not a valid JPEG"])
        assertDataError(try ImageFile.decode(Array("GIF89a".utf8), path: "g.gif"), contains: ["g.gif", "not a PNG", "or JPEG"])
        assertDataError(try ImageFile.decode([], path: "z.jpg"), contains: ["z.jpg", "empty"])
        let encoded = try JPEGFile.encode(DecodedImage(width: 5, height: 4, channels: 1, pixels: [UInt8](repeating: 77, count: 20)))
        XCTAssertEqual(try JPEGFile.decode(encoded, path: "e.jpg").pixels, [UInt8](repeating: 77, count: 20))
    }

    func testGreyConversionMatchesPillow() throws {
        let luma = try XCTUnwrap(ImageFixtures.expected["luma"] as? [String: [Int]])
        let rgb = luma["rgb"]!.map { UInt8($0) }, grey = luma["grey"]!.map { UInt8($0) }
        let image = DecodedImage(width: grey.count, height: 1, channels: 3, pixels: rgb)
        let planes = ImageConversion(channels: 1).planes(image)
        XCTAssertEqual(planes.pixels, grey)
        XCTAssertEqual(ImageConversion(channels: 3).planes(DecodedImage(width: 2, height: 1, channels: 1, pixels: [5, 9])).pixels,
                       [5, 9, 5, 9, 5, 9])
    }

    func testResizingRules() {
        // Area: an exact 2x reduction averages 2x2 blocks (half up).
        let four = DecodedImage(width: 4, height: 2, channels: 1, pixels: [0, 10, 20, 21, 2, 4, 6, 8])
        XCTAssertEqual(ImageConversion(height: 1, width: 2).planes(four).pixels, [4, 14])
        // Area with fractional coverage: 3 -> 2 weighs the middle pixel half to each side.
        let three = DecodedImage(width: 3, height: 1, channels: 1, pixels: [0, 30, 90])
        XCTAssertEqual(ImageConversion(height: 1, width: 2).planes(three).pixels, [10, 70])
        // Bilinear: 2 -> 4 with half-pixel centres and repeated edges.
        let two = DecodedImage(width: 2, height: 1, channels: 1, pixels: [0, 100])
        XCTAssertEqual(ImageConversion(height: 1, width: 4).planes(two).pixels, [0, 25, 75, 100])
        // No change keeps the bytes; a constant image stays constant either way.
        let image = DecodedImage(width: 3, height: 2, channels: 3, pixels: (0..<18).map { UInt8($0 * 13) })
        XCTAssertEqual(ImageConversion().planes(image).pixels.count, 18)
        let flat = DecodedImage(width: 7, height: 5, channels: 1, pixels: [UInt8](repeating: 200, count: 35))
        XCTAssertEqual(Set(ImageConversion(height: 3, width: 11).planes(flat).pixels), [200])
        // Shorter side: 300 x 200 -> 384 x 256.
        XCTAssertTrue(ImageConversion(shorterSide: 256).size(height: 200, width: 300) == (256, 384))
        XCTAssertTrue(ImageConversion(shorterSide: 256).size(height: 500, width: 375) == (341, 256))
    }

    // MARK: NPY, zip, NPZ

    func testNumpyWrittenNPZFilesRead() throws {
        let expected = try XCTUnwrap(ImageFixtures.expected["npz/medmnist"] as? [String: [Int]])
        for name in ["medmnist-stored", "medmnist-deflated"] {
            let zip = try ZipArchive.read(at: ImageFixtures.directory + "/npz/\(name).npz")
            XCTAssertEqual(zip.members.map(\.method), Array(repeating: name.hasSuffix("stored") ? 0 : 8, count: 6))
            for (key, values) in expected {
                let array = try NPYFile.parse(try zip.content(of: XCTUnwrap(zip.member(named: key + ".npy"))), path: key)
                XCTAssertEqual(array.integers(), values, "\(name) \(key)")
            }
            let splits = try NPZReader().read(ReadRequest(path: ImageFixtures.directory + "/npz/\(name).npz"))
            XCTAssertEqual(splits.train.count, 6)
            XCTAssertEqual(splits.validation?.count, 3)
            XCTAssertEqual(splits.test.labels, [1, 0, 2])
            XCTAssertEqual(splits.train.classNames, ["0", "1", "2"])
            XCTAssertEqual(splits.train.pixels.map(Int.init), expected["train_images"])
            XCTAssertTrue((splits.train.channels, splits.train.height, splits.train.width) == (1, 5, 4))
        }
        // Keras keys, RGB (N, H, W, 3) becomes planes.
        let keras = try NPZReader().read(ReadRequest(path: ImageFixtures.directory + "/npz/keras-rgb.npz"))
        let rgb = try XCTUnwrap(ImageFixtures.expected["npz/keras-rgb"] as? [String: [Int]])["x_train"]!
        XCTAssertEqual(keras.train.channels, 3)
        XCTAssertEqual(Int(keras.train.pixels[1]), rgb[3], "pixel (0, 1)'s red follows pixel (0, 0)'s red")
        XCTAssertEqual(Int(keras.train.pixels[6]), rgb[1], "the green plane follows the red one")
        XCTAssertEqual(keras.test.labels, [1, 0])
    }

    func testNPYVersionsOrderAndErrors() throws {
        let base = NPYFile.encode(NPYArray(descr: "<i2", shape: [2, 3], itemSize: 2, data: (0..<12).map { UInt8($0) }))
        XCTAssertEqual(try NPYFile.parse(base, path: "a.npy").integers(), [256, 770, 1284, 1798, 2312, 2826])
        // Version 2.0 and 3.0 headers (4-byte length), Fortran order, big-endian, shapes () and (0,).
        func npy(_ major: UInt8, _ header: String, _ data: [UInt8]) -> [UInt8] {
            var h = header
            let lengthBytes = major == 1 ? 2 : 4
            let total = 8 + lengthBytes + h.utf8.count + 1
            h += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
            let n = h.utf8.count
            return NPYFile.magic + [major, 0] + (0..<lengthBytes).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } + Array(h.utf8) + data
        }
        let fortran = npy(2, "{'descr': '>u2', 'fortran_order': True, 'shape': (2, 3), }", [0, 1, 0, 4, 0, 2, 0, 5, 0, 3, 0, 6])
        XCTAssertEqual(try NPYFile.parse(fortran, path: "f.npy").integers(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try NPYFile.parse(npy(3, "{'descr':'|u1','fortran_order':False,'shape':()}", [9]), path: "s.npy").integers(), [9])
        assertDataError(try NPYFile.parse(base + [0], path: "t.npy"), contains: ["t.npy", "1 trailing"])
        assertDataError(try NPYFile.parse(Array(base.dropLast()), path: "c.npy"), contains: ["truncated data"])
        assertDataError(try NPYFile.parse(npy(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", [0]), path: "o.npy"),
                        contains: ["'|O' is not supported"])
        assertDataError(try NPYFile.parse(npy(1, "{'descr': '|u1', 'shape': (1,), }", [0]), path: "k.npy"), contains: ["expected exactly descr"])
        assertDataError(try NPYFile.parse(npy(4, "{}", []), path: "v.npy"), contains: ["version 4.0"])
        assertDataError(try NPYFile.parse(Array("NUMPY".utf8) + [0, 0, 0, 0, 0], path: "m.npy"), contains: ["magic"])
    }

    func testZipChecks() throws {
        let members: [(String, [UInt8])] = [("a.npy", Array(repeating: 1, count: 100)), ("b.npy", Array("hello".utf8))]
        for compressed in [false, true] {
            for zip64 in [false, true] {
                let bytes = ZipWriter.archive(members, compressed: compressed, zip64: zip64)
                let zip = try ZipArchive(bytes: bytes, path: "z.npz")
                XCTAssertEqual(try zip.content(of: zip.members[1]), Array("hello".utf8))
            }
        }
        let bytes = ZipWriter.archive(members, compressed: true)
        assertDataError(try ZipArchive(bytes: Array(bytes.dropLast(3)), path: "cut.npz"), contains: ["cut.npz", "end-of-central-directory"])
        assertDataError(try ZipArchive(bytes: Array("not a zip at all, just text......".utf8), path: "t.npz"), contains: ["not a zip archive"])
        var badCRC = bytes
        let zip = try ZipArchive(bytes: bytes, path: "z")
        badCRC[zip.members[0].dataOffset] ^= 0xFF
        let damaged = try ZipArchive(bytes: badCRC, path: "d.npz")
        XCTAssertThrowsError(try damaged.content(of: damaged.members[0])) { e in
            XCTAssertTrue("\(e)".contains("d.npz (member a.npy"), "\(e)")
        }
        var encrypted = bytes
        let cd = zip.members.count
        XCTAssertEqual(cd, 2)
        encrypted[6] |= 1   // local header flag of the first member
        assertDataError(try ZipArchive(bytes: encrypted, path: "e.npz"), contains: ["encrypted"])
    }

    func testMATFilesAndTheDevkitMeta() throws {
        let synsets = MATWriter.synsets([(1, "n02119789"), (2, "n01440764")])
        for compressed in [false, true] {
            let file = MATWriter.file([("synsets", synsets), ("other", .numeric(dims: [1, 3], values: [1, 2, 3]))], compressed: compressed)
            let vars = try MATFile.parse(file, path: "meta.mat")
            XCTAssertEqual(vars["synsets"], synsets)
            XCTAssertEqual(try ILSVRC2012Reader.parseMeta(file, path: "meta.mat"), [1: "n02119789", 2: "n01440764"])
        }
        let file = MATWriter.file([("synsets", synsets)])
        assertDataError(try MATFile.parse(Array(file.dropLast(9)), path: "cut.mat"), contains: ["cut.mat", "runs past the end"])
        assertDataError(try MATFile.parse(Array(file.prefix(100)), path: "short.mat"), contains: ["shorter than the 128-byte"])
        var mark = file; mark[126] = 0
        assertDataError(try MATFile.parse(mark, path: "m.mat"), contains: ["endian mark"])
        assertDataError(try ILSVRC2012Reader.parseMeta(MATWriter.file([("x", .numeric(dims: [1, 1], values: [1]))]), path: "n.mat"),
                        contains: ["no struct array 'synsets'"])
        XCTAssertEqual(try ILSVRC2012Reader.parseGroundTruth(Array("3\n1\r\n1000\n".utf8), path: "g"), [3, 1, 1000])
        assertDataError(try ILSVRC2012Reader.parseGroundTruth(Array("3\n0\n".utf8), path: "g.txt"), contains: ["g.txt", "line 2", "1 ... 1000"])
    }
}

private extension Array where Element == UInt8 {
    /// Moves the first tEXt chunk between the first two IDAT chunks (the file stays
    /// otherwise valid).
    func splittingIDATRun() -> [UInt8] {
        var chunks: [[UInt8]] = []
        var at = 8
        while at < count {
            let length = Int(be32(self, at))
            chunks.append(Array(self[at..<(at + 12 + length)]))
            at += 12 + length
        }
        var reordered = chunks
        let texts = reordered.indices.filter { String(decoding: reordered[$0][4..<8], as: UTF8.self) == "tEXt" }
        let text = reordered.remove(at: texts[0])
        reordered.insert(text, at: 2)                // IHDR, IDAT, tEXt, IDAT, ...
        return Array(self[0..<8]) + reordered.flatMap { $0 }
    }
}
