// libFuzzer target for the tar reader (the official CIFAR archives are read in process).
//
// Input: the bytes of a tar archive, plain or gzip-compressed, as `TarArchive.read` sees a
// file after reading it whole. The target parses it with `TarArchive(bytes:path:compressed:)`,
// then reads every entry the way the CIFAR loader does: content slices, lookups by name and
// by base name, and members named like CIFAR batches or class-name files parsed by the CIFAR
// reader with the archive as their source.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.tar.gz"
    do {
        let (bytes, compressed) = try Gzip.decompressIfNeeded(input, path: path)
        let archive = try TarArchive(bytes: bytes, path: path, compressed: compressed)
        require(archive.bytes == bytes && archive.wasCompressed == compressed, "archive state")
        var previousEnd = 0
        for entry in archive.entries {
            require(entry.headerOffset % 512 == 0 && entry.headerOffset >= previousEnd,
                    "entry header at \(entry.headerOffset) overlaps the previous entry")
            require(entry.dataOffset >= entry.headerOffset + 512 && entry.dataOffset % 512 == 0,
                    "entry content at \(entry.dataOffset) for a header at \(entry.headerOffset)")
            require(entry.size >= 0 && entry.size <= bytes.count - entry.dataOffset,
                    "entry '\(entry.name)' of \(entry.size) bytes at \(entry.dataOffset) past \(bytes.count)")
            previousEnd = entry.dataOffset + entry.size
            let content = archive.content(of: entry)
            require(content.count == entry.size, "content slice of the wrong length")
            _ = touch(content)
            require(archive.entry(named: entry.name) != nil, "entry '\(entry.name)' not found by name")
            require(!archive.entries(withBaseName: entry.baseName).isEmpty,
                    "entry '\(entry.name)' not found by base name")
            readAsCIFARMember(archive, entry, path: path)
        }
    } catch {
        requireDataError(error, path: path)
    }
    return 0
}

/// What `loadCIFARDataset` does with the members of an official archive.
private func readAsCIFARMember(_ archive: TarArchive, _ entry: TarEntry, path: String) {
    let source = CIFARSource(path: path, member: entry.name, baseOffset: entry.dataOffset,
                             compressed: archive.wasCompressed)
    let base = entry.baseName
    do {
        for layout in [CIFARLayout.cifar10, .cifar100] {
            if base == layout.testBatch + ".bin" || layout.trainBatches.contains(where: { $0 + ".bin" == base }) {
                var pixels: [UInt8] = []
                var labels: [Int] = []
                let n = try CIFARFile.appendRecords(archive.content(of: entry), source: source,
                                                    layout: layout, label: .fine,
                                                    pixels: &pixels, labels: &labels)
                require(n * layout.recordSize == entry.size, "\(n) records from \(entry.size) bytes")
            }
            for (label, expected) in [(CIFARLabel.fine, layout.fineClassNames.count),
                                      (.coarse, layout.coarseClassNames?.count ?? 0)]
            where base == layout.metaFile(for: label) {
                let names = try CIFARFile.parseClassNames(archive.content(of: entry), source: source,
                                                          expected: expected, what: "fuzz")
                require(names.count == expected, "\(names.count) class names accepted")
            }
        }
    } catch {
        requireDataError(error, path: path)
        if let e = error as? DataError, let offset = e.offset {
            require(offset >= entry.dataOffset, "member error offset \(offset) before the member at \(entry.dataOffset)")
        }
    }
}
