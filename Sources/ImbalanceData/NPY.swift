/// An array from a `.npy` file: its element type, shape, and the raw element bytes in C
/// (row-major) order.
public struct NPYArray: Equatable, Sendable {
    /// Element type as numpy spells it (`|u1`, `<i8`, ...).
    public var descr: String
    public var shape: [Int]
    /// Bytes per element.
    public var itemSize: Int
    /// Element bytes, C order (a Fortran-order file is reordered on reading).
    public var data: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    /// The elements as integers, for integer types (`b1` excluded); nil otherwise.
    public func integers() -> [Int]? {
        let chars = Array(descr)
        guard chars.count >= 3 else { return nil }
        let kind = chars[1]
        guard kind == "u" || kind == "i" else { return nil }
        let little = descr.first != ">"
        let signed = kind == "i"
        var out = [Int](repeating: 0, count: count)
        data.withUnsafeBufferPointer { d in
            for i in 0..<out.count {
                var v: UInt64 = 0
                for b in 0..<itemSize {
                    let byte = UInt64(d[i * itemSize + (little ? b : itemSize - 1 - b)])
                    v |= byte << (8 * UInt64(b))
                }
                if signed && itemSize < 8 && v & (1 << (8 * UInt64(itemSize) - 1)) != 0 {
                    v |= ~0 << (8 * UInt64(itemSize))
                }
                out[i] = signed ? Int(Int64(bitPattern: v)) : Int(truncatingIfNeeded: v)
            }
        }
        return out
    }
}

/// A strict reader for numpy's `.npy` format, versions 1.0, 2.0 and 3.0.
///
/// Layout: the magic `\x93NUMPY`, major and minor version, the header length (2 bytes
/// little-endian in 1.0, 4 bytes in 2.0 and 3.0), then the header, a Python dict literal
/// `{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }` padded with
/// spaces and a final newline (ASCII in 1.0 and 2.0, UTF-8 in 3.0), then the data. Checks:
/// the magic and version, the header's three keys and nothing else, a supported element
/// type (booleans, integers and floats of 1, 2, 4 or 8 bytes; no object or structured
/// types), non-negative dimensions whose product does not overflow, and data exactly as
/// long as the shape says (no trailing bytes).
public enum NPYFile {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Parses `.npy` bytes; `path` names the file (or `archive:member`) in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> NPYArray {
        func fail(_ field: String?, _ offset: Int?, _ message: String) -> DataError {
            DataError(path: path, field: field, offset: offset, message: message)
        }
        guard !bytes.isEmpty else { throw fail(nil, nil, "empty; expected a .npy array") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("magic", 0, "expected the .npy magic 93 4e 55 4d 50 59 (\\x93NUMPY), found \(hex(Array(bytes.prefix(6))))")
        }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw fail("version", 6, "format version \(major).\(minor); expected 1.0, 2.0 or 3.0")
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw fail("header length", 8, "truncated before the header length") }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let headerStart = 8 + lengthBytes
        guard headerLength <= bytes.count - headerStart else {
            throw fail("header", headerStart, "header of \(headerLength) bytes runs past the end (\(bytes.count - headerStart) left)")
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        guard major == 3 || headerBytes.allSatisfy({ $0 < 0x80 }),
              let header = String(validating: headerBytes, as: UTF8.self) else {
            throw fail("header", headerStart, major == 3 ? "header is not valid UTF-8" : "header is not ASCII (version \(major).0)")
        }
        guard header.hasSuffix("\n") else { throw fail("header", headerStart, "header does not end with a newline") }
        var parser = HeaderParser(text: Array(header.unicodeScalars), fail: { fail("header", headerStart, $0) })
        let dict = try parser.parseDict()
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw fail("header", headerStart, "header keys \(dict.keys.sorted()); expected exactly descr, fortran_order and shape")
        }
        guard case .string(let descr)? = dict["descr"] else { throw fail("header", headerStart, "'descr' must be a string (structured types are not supported)") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw fail("header", headerStart, "'fortran_order' must be True or False") }
        guard case .tuple(let shape)? = dict["shape"] else { throw fail("header", headerStart, "'shape' must be a tuple of integers") }
        guard let itemSize = elementSize(descr) else {
            throw fail("header", headerStart, "element type '\(descr)' is not supported; expected a boolean, integer or float type (|u1, <i8, <f4, ...)")
        }
        var count = 1
        for d in shape {
            let (next, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("header", headerStart, "the product of the shape \(shape) overflows") }
            count = next
        }
        let (size, overflow) = count.multipliedReportingOverflow(by: itemSize)
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard !overflow, size == available else {
            let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
            if !overflow && size > available {
                throw fail("data", bytes.count, "truncated data: shape \(shapeText) of '\(descr)' needs \(size) bytes, found \(available)")
            }
            throw fail("data", overflow ? dataStart : dataStart + size, "shape \(shapeText) of '\(descr)' needs \(overflow ? "more than Int.max" : String(size)) bytes, found \(available)\(overflow ? "" : " (\(available - size) trailing)")")
        }
        var data = Array(bytes[dataStart...])
        if fortran && shape.count > 1 { data = reorderFortran(data, shape: shape, itemSize: itemSize) }
        return NPYArray(descr: descr, shape: shape, itemSize: itemSize, data: data)
    }

    /// Bytes per element of a supported type: byte order `<`, `>`, `|` or `=` then
    /// b (bool), u, i or f and the size.
    static func elementSize(_ descr: String) -> Int? {
        let s = Array(descr)
        guard s.count >= 3, "<>|=".contains(s[0]), let size = Int(String(s[2...])) else { return nil }
        switch s[1] {
        case "b": return size == 1 ? 1 : nil
        case "u", "i": return [1, 2, 4, 8].contains(size) ? size : nil
        case "f": return [2, 4, 8].contains(size) ? size : nil
        default: return nil
        }
    }

    /// Column-major element order to row-major.
    static func reorderFortran(_ data: [UInt8], shape: [Int], itemSize: Int) -> [UInt8] {
        let n = shape.reduce(1, *)
        var out = [UInt8](repeating: 0, count: data.count)
        var index = [Int](repeating: 0, count: shape.count)   // C-order multi-index
        var fStrides = [Int](repeating: 1, count: shape.count)
        for d in 1..<shape.count { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        for c in 0..<n {
            var f = 0
            for d in 0..<shape.count { f += index[d] * fStrides[d] }
            for b in 0..<itemSize { out[c * itemSize + b] = data[f * itemSize + b] }
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// A `.npy` file of `array` (version 1.0), for tests and export.
    public static func encode(_ array: NPYArray) -> [UInt8] {
        let shapeText = array.shape.count == 1 ? "(\(array.shape[0]),)" : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(array.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        let length = header.utf8.count
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + array.data
    }
}

/// The subset of Python literal syntax numpy writes in a `.npy` header.
private struct HeaderParser {
    enum Value { case string(String), bool(Bool), tuple([Int]) }
    let text: [Unicode.Scalar]
    let fail: (String) -> DataError
    var at = 0

    mutating func skipSpace() { while at < text.count, text[at] == " " || text[at] == "\n" || text[at] == "\t" { at += 1 } }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard at < text.count, text[at] == c else {
            throw fail("expected '\(c)' at character \(at) of the header, found \(at < text.count ? "'\(text[at])'" : "the end")")
        }
        at += 1
    }

    mutating func peek() -> Unicode.Scalar? { skipSpace(); return at < text.count ? text[at] : nil }

    mutating func parseDict() throws -> [String: Value] {
        try expect("{")
        var out: [String: Value] = [:]
        while peek() != "}" {
            let key = try parseString()
            try expect(":")
            guard out[key] == nil else { throw fail("key '\(key)' appears twice in the header") }
            out[key] = try parseValue()
            if peek() == "," { at += 1 } else { break }
        }
        try expect("}")
        skipSpace()
        guard at == text.count else { throw fail("unexpected text after the header's dict at character \(at)") }
        return out
    }

    mutating func parseString() throws -> String {
        guard let q = peek(), q == "'" || q == "\"" else { throw fail("expected a quoted string at character \(at) of the header") }
        at += 1
        var s = ""
        while at < text.count, text[at] != q {
            guard text[at] != "\\" else { throw fail("escape sequences in header strings are not supported") }
            s.unicodeScalars.append(text[at]); at += 1
        }
        guard at < text.count else { throw fail("unterminated string in the header") }
        at += 1
        return s
    }

    mutating func parseValue() throws -> Value {
        switch peek() {
        case "'", "\"": return .string(try parseString())
        case "(":
            at += 1
            var items: [Int] = []
            while peek() != ")" {
                var digits = ""
                while at < text.count, ("0"..."9").contains(text[at]) { digits.unicodeScalars.append(text[at]); at += 1 }
                if at < text.count, text[at] == "L" { at += 1 }   // Python 2's long suffix
                guard let v = Int(digits) else { throw fail("shape entries must be non-negative integers (at character \(at))") }
                items.append(v)
                if peek() == "," { at += 1 } else { break }
            }
            try expect(")")
            return .tuple(items)
        default:
            for (word, value) in [("True", true), ("False", false)] {
                let w = Array(word.unicodeScalars)
                if at + w.count <= text.count, Array(text[at..<(at + w.count)]) == w { at += w.count; return .bool(value) }
            }
            throw fail("unexpected value at character \(at) of the header; expected a string, a tuple, True or False")
        }
    }
}
