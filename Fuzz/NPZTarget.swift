// libFuzzer target for NPZ archives: the zip reader and the .npy parser.
//
// Input: the bytes of an .npz file. The target runs `ZipArchive` over them, then every
// member's `content(of:)` and `NPYFile.parse`, as `NPZReader` does, and the .npy parser on
// the raw input too. Checks: refused input gives a `DataError` naming the file (or
// `file:member` for .npy errors); members lie inside the archive, in bounds, without
// overlap; a member's content has the size the central directory states; an accepted
// array's data has exactly count x item size bytes.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.npz"
    func checkArray(_ a: NPYArray) {
        require(a.data.count == a.count * a.itemSize, "array data of the wrong length")
        if let values = a.integers() { require(values.count == a.count, "integer count differs") }
    }
    do {
        let archive = try ZipArchive(bytes: input, path: path)
        var spans: [(Int, Int)] = []
        for m in archive.members {
            require(m.dataOffset >= 0 && m.compressedSize >= 0 && m.dataOffset + m.compressedSize <= input.count,
                    "member \(m.name) outside the archive")
            spans.append((m.headerOffset, m.dataOffset + m.compressedSize))
            do {
                let content = try archive.content(of: m)
                require(content.count == m.size, "member content of the wrong size")
                let member = "\(path):\(m.name)"
                do { checkArray(try NPYFile.parse(content, path: member)) } catch { requireDataError(error, path: member) }
            } catch {
                requireDataError(error, path: path)
            }
        }
        spans.sort { $0.0 < $1.0 }
        for (a, b) in zip(spans, spans.dropFirst()) { require(a.1 <= b.0, "members overlap") }
    } catch {
        requireDataError(error, path: path)
    }
    do { checkArray(try NPYFile.parse(input, path: path)) } catch { requireDataError(error, path: path) }
    return 0
}
