// Archive and file builders shared by the data and training tests: tar archives, MAT-files
// and a small ILSVRC-2012 directory in the official layout.
import Foundation
import ImbalanceData

/// One tar member to write.
public struct TarMember {
    public var name: String
    public var data: [UInt8] = []
    public var type: UInt8 = UInt8(ascii: "0")
    /// ustar prefix field (joined to `name` with a slash by readers).
    public var prefix: String = ""

    public init(name: String, data: [UInt8] = [], type: UInt8 = UInt8(ascii: "0"), prefix: String = "") {
        self.name = name; self.data = data; self.type = type; self.prefix = prefix
    }
}

/// A 512-byte ustar header with a valid checksum. Names longer than 100 bytes are cut
/// (use a GNU long-name or pax member for those).
public func tarHeader(name: String, size: Int, type: UInt8 = UInt8(ascii: "0"), prefix: String = "") -> [UInt8] {
    var h = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int, max: Int) {
        for (k, b) in text.utf8.prefix(max).enumerated() { h[offset + k] = b }
    }
    func octal(_ value: Int, digits: Int) -> String {
        let s = String(value, radix: 8)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
    put(name, at: 0, max: 100)
    put("0000644", at: 100, max: 8)
    put("0001750", at: 108, max: 8)
    put("0001750", at: 116, max: 8)
    put(octal(size, digits: 11), at: 124, max: 12)
    put("14727166115", at: 136, max: 12)
    h[156] = type
    put("ustar", at: 257, max: 6)
    put("00", at: 263, max: 2)
    put("user", at: 265, max: 32)
    put(prefix, at: 345, max: 155)
    fixTarChecksum(&h, header: 0)
    return h
}

/// Rewrites the checksum of the header at `header` after a deliberate change elsewhere.
public func fixTarChecksum(_ bytes: inout [UInt8], header: Int) {
    for i in 148..<156 { bytes[header + i] = 0x20 }
    let sum = bytes[header..<(header + 512)].reduce(0) { $0 + Int($1) }
    let s = String(sum, radix: 8)
    let text = Array((String(repeating: "0", count: max(0, 6 - s.count)) + s).utf8) + [0, 0x20]
    for (k, b) in text.enumerated() { bytes[header + 148 + k] = b }
}

/// A tar archive of `members`, each content padded to 512 bytes, then `endBlocks` zero
/// blocks (tar(1) writes 2).
public func tarBytes(_ members: [TarMember], endBlocks: Int = 2) -> [UInt8] {
    var out: [UInt8] = []
    for m in members {
        out += tarHeader(name: m.name, size: m.data.count, type: m.type, prefix: m.prefix)
        out += m.data
        out += [UInt8](repeating: 0, count: (512 - m.data.count % 512) % 512)
    }
    out += [UInt8](repeating: 0, count: 512 * endBlocks)
    return out
}

/// Writes `bytes` at `path`, creating folders.
public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                            withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Encodes `value` as a MATLAB level-5 element (little-endian), for devkit `meta.mat`
/// files: numeric arrays as double, char arrays as UINT16, structs.
public enum MATWriter {
    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (8 - b.count % 8) % 8) }
    static func element(_ type: Int, _ data: [UInt8]) -> [UInt8] { le32(type) + le32(data.count) + padded(data) }

    public static func matrix(_ value: MATValue, name: String = "") -> [UInt8] {
        var body: [UInt8] = []
        func header(_ cls: Int, _ dims: [Int]) {
            body += element(6, le32(cls) + le32(0))
            body += element(5, dims.flatMap(le32))
            body += element(1, Array(name.utf8))
        }
        switch value {
        case .numeric(let dims, let values):
            header(6, dims)
            body += element(9, values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) } })
        case .char(let dims, let text):
            header(4, dims)
            body += element(4, Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        case .cell(let dims, let items):
            header(1, dims)
            for item in items { body += matrix(item) }
        case .structure(let dims, let fields, let elements):
            header(2, dims)
            let length = (fields.map(\.utf8.count).max() ?? 0) + 1
            body += le32(0x0004_0005) + le32(length)   // small element: miINT32, 4 bytes
            body += element(1, fields.flatMap { Array($0.utf8) + [UInt8](repeating: 0, count: length - $0.utf8.count) })
            for e in elements { for v in e { body += matrix(v) } }
        }
        return element(14, body)
    }

    /// A MAT-file holding `variables` (each element optionally compressed).
    public static func file(_ variables: [(String, MATValue)], compressed: Bool = false) -> [UInt8] {
        var header = Array("MATLAB 5.0 MAT-file, written by the ImbalanceBench tests".utf8)
        header += [UInt8](repeating: 0x20, count: 116 - header.count) + [UInt8](repeating: 0, count: 8)
        header += [0x00, 0x01, 0x49, 0x4D]
        var out = header
        for (name, value) in variables {
            let m = matrix(value, name: name)
            out += compressed ? element(15, Gzip.zlibCompress(m)) : m
        }
        return out
    }

    /// The devkit's `synsets` for (id, wnid) pairs, plus one inner node (id above 1000).
    public static func synsets(_ pairs: [(Int, String)]) -> MATValue {
        let fields = ["ILSVRC2012_ID", "WNID", "words", "num_children"]
        var elements = pairs.map { id, wnid -> [MATValue] in
            [.numeric(dims: [1, 1], values: [Double(id)]), .char(dims: [1, wnid.count], text: wnid),
             .char(dims: [1, 5], text: "thing"), .numeric(dims: [1, 1], values: [0])]
        }
        elements.append([.numeric(dims: [1, 1], values: [1001]), .char(dims: [1, 9], text: "n00001740"),
                         .char(dims: [1, 6], text: "entity"), .numeric(dims: [1, 1], values: [2])])
        return .structure(dims: [elements.count, 1], fields: fields, elements: elements)
    }
}

/// A small ILSVRC-2012 directory in the official layout: a training tar of per-class tars
/// of JPEGs, a validation tar, and a devkit with ground truth and meta.mat. Class `k` gets
/// `perClass` training images and `valPerClass` validation images, interleaved in the
/// validation archive as the official one is; images are `size` x `size` colour JPEGs
/// whose mean brightness depends on the class.
@discardableResult
public func writeSmallILSVRC(in dir: String, wnids: [String], perClass: Int, valPerClass: Int,
                      size: (Int, Int) = (40, 30), ids: [Int]? = nil) throws -> (trainLabels: [Int], valLabels: [Int]) {
    func jpeg(_ cls: Int, _ i: Int) throws -> [UInt8] {
        var px = [UInt8](repeating: 0, count: size.0 * size.1 * 3)
        for k in px.indices { px[k] = UInt8(truncatingIfNeeded: 40 + cls * 60 + (k * 13 + i * 7) % 50) }
        return try JPEGFile.encode(DecodedImage(width: size.0, height: size.1, channels: 3, pixels: px), quality: 85)
    }
    // The official archive lists classes in no particular order: write them reversed.
    var classTars: [TarMember] = []
    var trainLabels: [Int] = []
    for (c, wnid) in wnids.enumerated().reversed() {
        var members: [TarMember] = []
        for i in (0..<perClass).reversed() {
            members.append(TarMember(name: "\(wnid)_\(1000 + i).JPEG", data: try jpeg(c, i)))
        }
        classTars.append(TarMember(name: "\(wnid).tar", data: tarBytes(members)))
    }
    let sortedClasses = wnids.sorted()
    for wnid in sortedClasses { trainLabels += Array(repeating: sortedClasses.firstIndex(of: wnid)!, count: perClass) }
    try writeFile(dir + "/ILSVRC2012_img_train.tar", tarBytes(classTars))
    var valMembers: [TarMember] = [], truth = "", valLabels: [Int] = []
    let idOf = ids ?? Array(1...wnids.count)
    for n in 0..<(wnids.count * valPerClass) {
        let c = n % wnids.count
        valMembers.append(TarMember(name: String(format: "ILSVRC2012_val_%08d.JPEG", n + 1), data: try jpeg(c, 500 + n)))
        truth += "\(idOf[c])\n"
        valLabels.append(sortedClasses.firstIndex(of: wnids[c])!)
    }
    try writeFile(dir + "/ILSVRC2012_img_val.tar", tarBytes(valMembers.reversed()))
    let meta = MATWriter.file([("synsets", MATWriter.synsets(zip(idOf, wnids).map { ($0, $1) }))], compressed: true)
    let devkit = tarBytes([TarMember(name: "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", data: Array(truth.utf8)),
                           TarMember(name: "ILSVRC2012_devkit_t12/data/meta.mat", data: meta),
                           TarMember(name: "ILSVRC2012_devkit_t12/readme.txt", data: Array("devkit".utf8))])
    try writeFile(dir + "/ILSVRC2012_devkit_t12.tar.gz", Gzip.compress(devkit))
    return (trainLabels, valLabels)
}
