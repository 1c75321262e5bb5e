import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing run records. Encoding is canonical (sorted keys, fixed layout), so
/// that the same record always gives the same bytes and a report regenerated from the same
/// records is byte-identical.
public enum RecordIO {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        var data = try encoder().encode(value)
        data.append(0x0A)
        return data
    }

    /// Writes `data` to `path` atomically: a temporary file in the same directory, flushed to
    /// disk, then renamed over the target. A reader (or a crash at any moment) sees either
    /// no file or the whole file, never a partial record.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let tmp = "\(dir)/.\(url.lastPathComponent).\(getpid()).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw RecordError("cannot write \(path): cannot create its temporary file \(tmp): \(String(cString: strerror(errno)))")
        }
        var ok = true
        var err: Int32 = 0
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { ok = false; err = errno; break }
                off += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; err = errno }
        close(fd)
        guard ok else {
            unlink(tmp)
            throw RecordError("cannot write \(path): \(String(cString: strerror(err)))")
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw RecordError("cannot move the finished record into place at \(path): \(String(cString: strerror(e)))")
        }
    }

    public static func write(_ record: RunRecord, to path: String) throws {
        try writeAtomically(try encode(record), to: path)
    }

    public static func read(_ path: String) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecordError("cannot read record \(path)")
        }
        do {
            return try decoder().decode(RunRecord.self, from: data)
        } catch {
            throw RecordError("\(path) is not a valid run record: \(error)")
        }
    }
}

public struct RecordError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
