// libFuzzer target for the MAT-file reader (ILSVRC-2012's devkit meta.mat).
//
// Input: the bytes of a level-5 MAT-file. Checks: refused input gives a `DataError` naming
// the file; every accepted array holds as many elements as its dimensions say (numeric
// values, cell items, struct elements with one value per field); and the devkit's synsets
// parse (`ILSVRC2012Reader.parseMeta`) refuses or accepts without crashing.
@testable import ImbalanceData

func checkMAT(_ v: MATValue, depth: Int = 0) {
    require(depth <= 33, "nesting deeper than the limit")
    switch v {
    case .numeric(let dims, let values):
        require(dims.reduce(1, *) == values.count || (dims == [0, 0] && values.isEmpty), "numeric count differs from dims")
    case .char(let dims, _):
        require(dims.allSatisfy { $0 >= 0 }, "negative char dims")
    case .cell(let dims, let items):
        require(dims.reduce(1, *) == items.count, "cell count differs from dims")
        for i in items { checkMAT(i, depth: depth + 1) }
    case .structure(let dims, let fields, let elements):
        require(dims.reduce(1, *) == elements.count, "struct count differs from dims")
        for e in elements {
            require(e.count == fields.count, "struct element without one value per field")
            for f in e { checkMAT(f, depth: depth + 1) }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMAT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.mat"
    do {
        let vars = try MATFile.parse(input, path: path, maxDecompressed: 1 << 20)
        for (_, v) in vars { checkMAT(v) }
    } catch {
        requireDataError(error, path: path)
    }
    do {
        _ = try ILSVRC2012Reader.parseMeta(input, path: path)
    } catch {
        requireDataError(error, path: path)
    }
    return 0
}
