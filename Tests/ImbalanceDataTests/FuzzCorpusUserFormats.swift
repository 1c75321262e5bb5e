import Foundation
@testable import ImbalanceData
import ImbalanceTestSupport

/// Seeds and the reading step of the fuzz targets for the user formats (PNG, JPEG, NPZ,
/// CSV lists, MAT-files), in the manner of `FuzzCorpusTests`: each seed is checked through
/// the real reader before it is written.
extension FuzzTarget {
    /// What the target does with an input, as the reader does with a file. Returns the
    /// number of items read (pixels, members, rows, variables).
    func readUserFormat(_ path: String) throws -> Int {
        let bytes = try FileSystem.readAll(path)
        switch self {
        case .png: return try PNGFile.decode(bytes, path: path, maxPixels: 1 << 20).pixels.count
        case .jpeg: return try JPEGFile.decode(bytes, path: path, maxPixels: 1 << 20).pixels.count
        case .npz:
            let zip = try ZipArchive(bytes: bytes, path: path)
            for m in zip.members { _ = try NPYFile.parse(zip.content(of: m), path: path) }
            return zip.members.count
        case .csv: return try CSVFile.parse(bytes, path: path).count
        case .mat: return try MATFile.parse(bytes, path: path, maxDecompressed: 1 << 20).count
        default: fatalError("not a user format: \(self)")
        }
    }
}

extension FuzzSeeds {
    static func png() -> [FuzzSeed] {
        var seeds: [FuzzSeed] = []
        for (name, color, depth, palette) in [("grey1", PNGFile.ColorType.grey, 1, nil as [UInt8]?), ("grey16", .grey, 16, nil),
                                              ("rgb8", .rgb, 8, nil), ("palette4", .palette, 4, [9, 8, 7, 6, 5, 4]),
                                              ("greyalpha8", .greyAlpha, 8, nil), ("rgba16", .rgba, 16, nil)] {
            for interlaced in [false, true] {
                let n = 5 * 4 * color.samples
                let top = color == .palette ? 2 : (1 << depth)
                let file = PNGFile.encode(width: 5, height: 4, color: color, depth: depth,
                                          samples: (0..<n).map { UInt16($0 * 7 % top) }, palette: palette,
                                          interlaced: interlaced, filters: [0, 1, 2, 3, 4], idatChunkSize: 40)
                let channels = color == .grey || color == .greyAlpha ? 1 : 3
                seeds.append(FuzzSeed(name: "\(name)\(interlaced ? "-adam7" : "").png", bytes: file, outcome: .accepted(20 * channels)))
            }
        }
        let good = PNGFile.encode(width: 3, height: 2, color: .rgb, depth: 8, samples: (0..<18).map { UInt16($0) })
        var crc = good; crc[29] ^= 1
        seeds += [
            FuzzSeed(name: "bad-crc.png", bytes: crc, outcome: .refused("CRC mismatch")),
            FuzzSeed(name: "no-iend.png", bytes: Array(good.dropLast(12)), outcome: .refused("without an IEND")),
            FuzzSeed(name: "trailing.png", bytes: good + [1, 2], outcome: .refused("after IEND")),
            FuzzSeed(name: "signature.png", bytes: Array(good.prefix(8)), outcome: .refused("no IHDR")),
            FuzzSeed(name: "empty.png", bytes: [], outcome: .refused("empty")),
        ]
        return seeds
    }

    static func jpeg() -> [FuzzSeed] {
        let rgb = DecodedImage(width: 9, height: 7, channels: 3, pixels: (0..<189).map { UInt8($0 * 5 % 256) })
        let grey = DecodedImage(width: 8, height: 8, channels: 1, pixels: (0..<64).map { UInt8($0 * 3) })
        let baseline = try! JPEGFile.encode(rgb, quality: 80)
        return [
            FuzzSeed(name: "baseline.jpg", bytes: baseline, outcome: .accepted(189)),
            FuzzSeed(name: "progressive.jpg", bytes: try! JPEGFile.encode(rgb, quality: 60, progressive: true), outcome: .accepted(189)),
            FuzzSeed(name: "grey.jpg", bytes: try! JPEGFile.encode(grey), outcome: .accepted(64)),
            FuzzSeed(name: "pillow-420.jpg", bytes: (try? ImageFixtures.bytes("jpeg/subsampling420.jpg")) ?? baseline,
                     outcome: .accepted(37 * 23 * 3)),
            FuzzSeed(name: "cut.jpg", bytes: Array(baseline.prefix(baseline.count / 2)), outcome: .refused("not a valid JPEG")),
            FuzzSeed(name: "soi-only.jpg", bytes: [0xFF, 0xD8, 0xFF, 0xD9], outcome: .refused("not a valid JPEG")),
        ]
    }

    static func npz() -> [FuzzSeed] {
        let images = NPYFile.encode(NPYArray(descr: "|u1", shape: [2, 3, 2], itemSize: 1, data: (0..<12).map { UInt8($0) }))
        let labels = NPYFile.encode(NPYArray(descr: "<i8", shape: [2, 1], itemSize: 8, data: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        let members = [("train_images.npy", images), ("train_labels.npy", labels)]
        let deflated = ZipWriter.archive(members, compressed: true)
        var crc = deflated; crc[crc.count - 30] ^= 0xFF
        return [
            FuzzSeed(name: "stored.npz", bytes: ZipWriter.archive(members, compressed: false), outcome: .accepted(2)),
            FuzzSeed(name: "deflated.npz", bytes: deflated, outcome: .accepted(2)),
            FuzzSeed(name: "no-zip64.npz", bytes: ZipWriter.archive(members, compressed: true, zip64: false), outcome: .accepted(2)),
            FuzzSeed(name: "numpy-savez.npz", bytes: (try? ImageFixtures.bytes("npz/medmnist-stored.npz")) ?? deflated, outcome: .accepted(6)),
            FuzzSeed(name: "numpy-savez-compressed.npz", bytes: (try? ImageFixtures.bytes("npz/medmnist-deflated.npz")) ?? deflated,
                     outcome: .accepted(6)),
            FuzzSeed(name: "cut.npz", bytes: Array(deflated.dropLast(5)), outcome: .refused("end-of-central-directory")),
            FuzzSeed(name: "trailing-npy.npz", bytes: ZipWriter.archive([("a.npy", images + [0])], compressed: false),
                     outcome: .refused("trailing")),
            FuzzSeed(name: "bad-header.npz", bytes: crc, outcome: .refused("central directory")),
        ]
    }

    static func csv() -> [FuzzSeed] {
        [
            FuzzSeed(name: "plain.csv", bytes: Array("path,label,split\na.png,0,train\nb.png,1,test\n".utf8), outcome: .accepted(3)),
            FuzzSeed(name: "quoted-crlf.csv", bytes: Array("\u{FEFF}\"a,b.png\",\"c\"\"at\"\r\nx.jpg,dog\r\n".utf8), outcome: .accepted(2)),
            FuzzSeed(name: "no-final-newline.csv", bytes: Array("a.png,1".utf8), outcome: .accepted(1)),
            FuzzSeed(name: "unclosed.csv", bytes: Array("a.png,\"x\n".utf8), outcome: .refused("not closed")),
            FuzzSeed(name: "empty-line.csv", bytes: Array("a.png,1\n\nb.png,2\n".utf8), outcome: .refused("empty line")),
            FuzzSeed(name: "lone-cr.csv", bytes: Array("a.png,1\rb.png,2\n".utf8), outcome: .refused("carriage return")),
            FuzzSeed(name: "not-utf8.csv", bytes: [0x61, 0xFF, 0x2C, 0x31], outcome: .refused("UTF-8")),
        ]
    }

    static func mat() -> [FuzzSeed] {
        let synsets = MATWriter.synsets([(1, "n02119789"), (2, "n01440764")])
        let plain = MATWriter.file([("synsets", synsets)])
        let mixed = MATWriter.file([("cells", .cell(dims: [1, 2], items: [.numeric(dims: [1, 2], values: [1.5, -2]), .char(dims: [1, 2], text: "ok")])),
                                    ("empty", .numeric(dims: [0, 0], values: []))])
        return [
            FuzzSeed(name: "synsets.mat", bytes: plain, outcome: .accepted(1)),
            FuzzSeed(name: "synsets-compressed.mat", bytes: MATWriter.file([("synsets", synsets)], compressed: true), outcome: .accepted(1)),
            FuzzSeed(name: "cells.mat", bytes: mixed, outcome: .accepted(2)),
            FuzzSeed(name: "cut.mat", bytes: Array(plain.dropLast(20)), outcome: .refused("runs past the end")),
            FuzzSeed(name: "header-only.mat", bytes: Array(plain.prefix(100)), outcome: .refused("128-byte")),
        ]
    }
}
