// libFuzzer target for the gzip reader every dataset file goes through.
//
// Input: the bytes of a (supposed) gzip file. The target checks that `Gzip.decompress`
// returns or throws a `DataError` naming the file, that its output limit is exact (a second
// decompression with a small limit taken from the input agrees with the first, or refuses
// only because the output really is larger), and that `Gzip.compress` round-trips the input.
@testable import ImbalanceData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let path = "fuzz-input.gz"

    var full: [UInt8]?
    do {
        full = try Gzip.decompress(input, path: path)
    } catch {
        requireDataError(error, path: path)
    }

    // Limits from 1 byte to about 16 KB, so that the limit check and the growth of the
    // output buffer both meet the end of the data at every possible position.
    let limit = 1 + Int(input.first ?? 0) * 61 + Int(input.last ?? 0)
    do {
        let limited = try Gzip.decompress(input, path: path, maxOutputBytes: limit)
        require(limited.count <= limit, "output of \(limited.count) bytes passed a limit of \(limit)")
        require(full == limited, "the output depends on the limit (\(limit) bytes)")
    } catch {
        requireDataError(error, path: path)
        if let full, let e = error as? DataError {
            require(full.count > limit && e.message.contains("exceeds the limit"),
                    "refused with a limit of \(limit) bytes an input that decompresses to \(full.count) bytes: \(e)")
        }
    }

    let roundTrip = try? Gzip.decompress(Gzip.compress(input), path: path)
    require(roundTrip == input, "compress then decompress changed \(input.count) bytes")
    return 0
}
