// Shared by every fuzz target: compiled into each target's executable (see scripts/fuzz).
@testable import ImbalanceData

/// The fuzzer's input as an array, because every reader under test takes `[UInt8]`, as it
/// does when it reads a file whole.
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A broken promise of a reader. `fatalError` rather than `precondition`, so that the check
/// survives -Ounchecked builds and libFuzzer records the input as a crash with the message.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant: \(message())", file: file, line: line) }
}

/// The readers' contract for input they refuse (issue 7): a `DataError` that names the file
/// it was given and says what was wrong. Any other error type, or an error about some
/// other path, is a bug the fuzzer must report.
func requireDataError(_ error: Error, path: String, file: StaticString = #fileID, line: UInt = #line) {
    guard let e = error as? DataError else {
        fatalError("fuzz invariant: expected a DataError for \(path), got \(type(of: error)): \(error)",
                   file: file, line: line)
    }
    require(e.path == path, "error names \(e.path), expected \(path): \(e)", file: file, line: line)
    require(!e.message.isEmpty, "empty message in \(e)", file: file, line: line)
    require(e.description.hasPrefix(path), "description does not start with the path: \(e)",
            file: file, line: line)
    if let offset = e.offset { require(offset >= 0, "negative offset in \(e)", file: file, line: line) }
}

/// Reads every byte of `bytes` in a way the optimiser cannot drop, so that AddressSanitizer
/// checks that a slice a reader hands out really lies inside live memory.
@inline(never)
func touch<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
    var x: UInt8 = 0
    for b in bytes { x ^= b }
    return x
}
