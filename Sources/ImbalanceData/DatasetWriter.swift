import CZlib

/// Writes in-memory datasets in the user formats the readers take, so any built-in dataset
/// can be turned into an image folder, a CSV list or an NPZ file (`imbench data export`)
/// and the tests can check that each format reads back the same images in the same order.
///
/// Image files are numbered by their index in the split, zero-padded to one width
/// (`00000.png`, ...), so the readers' canonical order (file name first) is the dataset's
/// order. Class folders are named `LABEL_NAME` with the label zero-padded and the name
/// reduced to letters, digits and `-` (`0_T-shirt-top`), so they sort in label order.
public enum DatasetWriter {
    /// A class folder name that sorts in label order (see above).
    public static func classFolder(_ label: Int, of classNames: [String]) -> String {
        let width = String(max(classNames.count - 1, 0)).count
        let digits = String(label)
        let name = classNames[label].map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
        return String(repeating: "0", count: width - digits.count) + digits + "_" + String(name)
    }

    static func fileName(_ index: Int, of count: Int, suffix: String) -> String {
        let width = String(max(count - 1, 0)).count
        let digits = String(index)
        return String(repeating: "0", count: width - digits.count) + digits + suffix
    }

    /// Image `i` of `data` as an interleaved `DecodedImage`.
    public static func image(_ data: ImageDataset, _ i: Int) -> DecodedImage {
        let (c, h, w) = (data.channels, data.height, data.width)
        precondition(c == 1 || c == 3, "only grey or RGB images can be written")
        let base = i * data.sampleSize
        var pixels = [UInt8](repeating: 0, count: data.sampleSize)
        data.pixels.withUnsafeBufferPointer { p in
            for k in 0..<c { for q in 0..<(h * w) { pixels[q * c + k] = p[base + k * h * w + q] } }
        }
        return DecodedImage(width: w, height: h, channels: c, pixels: pixels)
    }

    /// `ROOT/SPLIT/CLASS/NNNNN.png` for every split (torchvision's ImageFolder layout).
    /// Returns every file written.
    @discardableResult
    public static func writeFolder(_ splits: [(name: String, data: ImageDataset)], to root: String) throws -> [String] {
        var written: [String] = []
        for (split, data) in splits {
            for c in 0..<data.classCount { try FileSystem.makeDirectories(joinPath(root, "\(split)/\(classFolder(c, of: data.classNames))")) }
            for i in 0..<data.count {
                let path = joinPath(root, "\(split)/\(classFolder(data.labels[i], of: data.classNames))/\(fileName(i, of: data.count, suffix: ".png"))")
                try FileSystem.write(PNGFile.encode(image(data, i)), to: path)
                written.append(path)
            }
        }
        return written
    }

    /// `ROOT/images/SPLIT/NNNNN.png` and `ROOT/LIST` with a header and one row
    /// `images/SPLIT/NNNNN.png,LABEL,SPLIT` per image (labels by number). Returns the list's path.
    @discardableResult
    public static func writeCSV(_ splits: [(name: String, data: ImageDataset)], to root: String,
                                list: String = "images.csv") throws -> String {
        var text = "path,label,split\n"
        for (split, data) in splits {
            try FileSystem.makeDirectories(joinPath(root, "images/\(split)"))
            for i in 0..<data.count {
                let relative = "images/\(split)/\(fileName(i, of: data.count, suffix: ".png"))"
                try FileSystem.write(PNGFile.encode(image(data, i)), to: joinPath(root, relative))
                text += "\(relative),\(data.labels[i]),\(split == "validation" ? "val" : split)\n"
            }
        }
        let path = joinPath(root, list)
        try FileSystem.write(Array(text.utf8), to: path)
        return path
    }

    /// An `.npz` in MedMNIST's layout (`train_images`, `train_labels`, ..., `val_*` for a
    /// split named `validation`): images (N, H, W) or (N, H, W, 3) uint8, labels (N, 1)
    /// uint8 (int64 beyond 255 classes), members stored or deflated as numpy's `savez` /
    /// `savez_compressed` write them.
    public static func writeNPZ(_ splits: [(name: String, data: ImageDataset)], to path: String,
                                compressed: Bool = true) throws {
        var members: [(String, [UInt8])] = []
        for (split, data) in splits {
            let key = split == "validation" ? "val" : split
            let (c, h, w) = (data.channels, data.height, data.width)
            var hwc = data.pixels
            if c == 3 {
                for i in 0..<data.count { hwc.replaceSubrange((i * data.sampleSize)..<((i + 1) * data.sampleSize), with: image(data, i).pixels) }
            }
            let shape = c == 1 ? [data.count, h, w] : [data.count, h, w, c]
            members.append(("\(key)_images.npy", NPYFile.encode(NPYArray(descr: "|u1", shape: shape, itemSize: 1, data: hwc))))
            let labels: NPYArray = data.classCount <= 256
                ? NPYArray(descr: "|u1", shape: [data.count, 1], itemSize: 1, data: data.labels.map { UInt8($0) })
                : NPYArray(descr: "<i8", shape: [data.count, 1], itemSize: 8,
                           data: data.labels.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } })
            members.append(("\(key)_labels.npy", NPYFile.encode(labels)))
        }
        try FileSystem.write(ZipWriter.archive(members, compressed: compressed), to: path)
    }
}

/// Writes zip archives as Python's `zipfile` does for numpy (zip64 extra fields on every
/// local header, as `np.savez` forces them), for `DatasetWriter.writeNPZ`, tests and fuzz
/// seeds.
public enum ZipWriter {
    public static func archive(_ members: [(name: String, data: [UInt8])], compressed: Bool,
                               zip64: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
        func le64(_ v: Int) -> [UInt8] { le32(v & 0xFFFF_FFFF) + le32(v >> 32) }
        for (name, data) in members {
            let stored = compressed ? Inflate.rawDeflate(data) : data
            let crc = data.withUnsafeBytes { Int(Inflate.crc32($0)) }
            let nameBytes = Array(name.utf8)
            let offset = out.count
            let method = compressed ? 8 : 0
            let extra = zip64 ? le16(1) + le16(16) + le64(data.count) + le64(stored.count) : []
            out += le32(0x0403_4B50) + le16(zip64 ? 45 : 20) + le16(0) + le16(method) + le16(0) + le16(0x21)
            out += le32(crc) + (zip64 ? le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) : le32(stored.count) + le32(data.count))
            out += le16(nameBytes.count) + le16(extra.count) + nameBytes + extra + stored
            central += le32(0x0201_4B50) + le16(45) + le16(zip64 ? 45 : 20) + le16(0) + le16(method) + le16(0) + le16(0x21)
            central += le32(crc) + le32(stored.count) + le32(data.count) + le16(nameBytes.count) + le16(0) + le16(0)
            central += le16(0) + le16(0) + le32(0o600 << 16) + le32(offset) + nameBytes
        }
        let cdOffset = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
        out += le32(central.count) + le32(cdOffset) + le16(0)
        return out
    }
}

extension Inflate {
    /// A raw deflate stream (RFC 1951) of `bytes`, for zip members.
    static func rawDeflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        let rc = deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "deflateInit2 failed with \(rc)")
        defer { deflateEnd(stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(bytes.count))) + 16)
        var input = bytes
        let produced = input.withUnsafeMutableBufferPointer { i -> Int in
            out.withUnsafeMutableBufferPointer { o -> Int in
                stream.pointee.next_in = i.baseAddress
                stream.pointee.avail_in = UInt32(i.count)
                stream.pointee.next_out = o.baseAddress
                stream.pointee.avail_out = UInt32(o.count)
                let r = CZlib.deflate(stream, Z_FINISH)
                precondition(r == Z_STREAM_END, "deflate did not finish (\(r))")
                return o.count - Int(stream.pointee.avail_out)
            }
        }
        out.removeSubrange(produced...)
        return out
    }
}
