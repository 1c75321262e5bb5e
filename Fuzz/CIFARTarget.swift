// libFuzzer target for the CIFAR-10 and CIFAR-100 binary readers.
//
// Input: one selector byte, then the bytes of a batch or class-name file (plain or gzip).
// The selector (modulo 7) picks what the file is read as:
//   0 CIFAR-10 batch, 1 CIFAR-100 batch with fine labels, 2 CIFAR-100 batch with coarse
//   labels, 3 CIFAR-10 batch asked for coarse labels (always refused),
//   4 / 5 / 6 the class-name file of CIFAR-10 / CIFAR-100 fine / CIFAR-100 coarse.
// Batches go through `CIFARFile.parse` (as `readBatch` does after reading the file) and
// `CIFARFile.appendRecords` (as the dataset loader does, appending to sets already holding
// images); class names through `CIFARFile.parseClassNames`.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let file = Array(input.dropFirst())
    let path = "fuzz-input.bin"
    let content: [UInt8]
    let compressed: Bool
    do {
        (content, compressed) = try Gzip.decompressIfNeeded(file, path: path)
    } catch {
        requireDataError(error, path: path)
        return 0
    }
    let source = CIFARSource(path: path, member: nil, baseOffset: 0, compressed: compressed)

    switch selector % 7 {
    case 0: checkBatch(content, path: path, kind: .cifar10, label: .fine, source: source)
    case 1: checkBatch(content, path: path, kind: .cifar100, label: .fine, source: source)
    case 2: checkBatch(content, path: path, kind: .cifar100, label: .coarse, source: source)
    case 3:
        do {
            _ = try CIFARFile.parse(content, path: path, kind: .cifar10, label: .coarse,
                                    compressed: compressed)
            require(false, "CIFAR-10 read with coarse labels")
        } catch {
            requireDataError(error, path: path)
        }
    case 4: checkNames(content, source: source, expected: 10, path: path)
    case 5: checkNames(content, source: source, expected: 100, path: path)
    default: checkNames(content, source: source, expected: 20, path: path)
    }
    return 0
}

private func checkBatch(_ content: [UInt8], path: String, kind: DatasetKind, label: CIFARLabel,
                        source: CIFARSource) {
    let layout = kind.cifarLayout!
    let classes = layout.classNames(for: label)!.count
    let labelByte = layout.labelBytes == 2 && label == .fine ? 1 : 0
    do {
        let batch = try CIFARFile.parse(content, path: path, kind: kind, label: label,
                                        compressed: source.compressed)
        let rs = layout.recordSize
        require(batch.count > 0 && batch.count * rs == content.count,
                "\(batch.count) records accepted from \(content.count) bytes")
        require(batch.pixels.count == batch.count * CIFARFile.imageBytes, "pixel count")
        for r in 0..<batch.count {
            require(batch.labels[r] == Int(content[r * rs + labelByte]), "label of record \(r)")
            require(batch.labels[r] < classes, "label \(batch.labels[r]) out of range accepted")
            if layout.labelBytes == 2 {
                require(content[r * rs] < 20 && content[r * rs + 1] < 100,
                        "record \(r) has a label out of range")
            }
            let image = batch.pixels[(r * CIFARFile.imageBytes)..<((r + 1) * CIFARFile.imageBytes)]
            require(image == content[(r * rs + layout.labelBytes)..<((r + 1) * rs)],
                    "pixels of record \(r) differ from the file")
        }
    } catch {
        requireDataError(error, path: path)
    }

    // The loader appends batch after batch to one set: a refused batch must leave what is
    // already there untouched, an accepted one must only add to it.
    var pixels: [UInt8] = [1, 2, 3]
    var labels: [Int] = [4]
    do {
        let n = try CIFARFile.appendRecords(content[...], source: source, layout: layout,
                                            label: label, pixels: &pixels, labels: &labels)
        require(labels.count == 1 + n && pixels.count == 3 + n * CIFARFile.imageBytes,
                "appended \(labels.count - 1) labels for \(n) records")
        require(labels[0] == 4 && pixels[0..<3] == [1, 2, 3], "existing images changed")
    } catch {
        requireDataError(error, path: path)
        require(labels == [4] && pixels == [1, 2, 3], "a refused batch changed the set")
    }
}

private func checkNames(_ content: [UInt8], source: CIFARSource, expected: Int, path: String) {
    do {
        let names = try CIFARFile.parseClassNames(content[...], source: source,
                                                  expected: expected, what: "fuzz")
        require(names.count == expected, "\(names.count) names accepted, expected \(expected)")
        for name in names {
            require(!name.isEmpty && !name.contains("\n"), "bad class name '\(name)' accepted")
        }
    } catch {
        requireDataError(error, path: path)
    }
}
