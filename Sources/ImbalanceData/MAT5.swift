/// A value in a MATLAB level-5 MAT-file, as far as the suite needs them: numeric arrays
/// (as Double), character arrays, structs and cells. Dimensions are MATLAB's (column-major).
public indirect enum MATValue: Equatable, Sendable {
    case numeric(dims: [Int], values: [Double])
    case char(dims: [Int], text: String)
    case cell(dims: [Int], items: [MATValue])
    /// `elements[i][f]` is field `fields[f]` of element i (column-major element order).
    case structure(dims: [Int], fields: [String], elements: [[MATValue]])

    /// The scalar of a 1 x 1 numeric array.
    public var scalar: Double? {
        if case .numeric(_, let v) = self, v.count == 1 { return v[0] }
        return nil
    }

    /// The text of a character array (a row vector; other shapes column-major).
    public var string: String? {
        if case .char(_, let t) = self { return t }
        return nil
    }
}

/// A strict reader for MATLAB level-5 MAT-files (the format of ILSVRC-2012's devkit
/// `meta.mat`), little- or big-endian, with compressed (`miCOMPRESSED`, zlib) or plain
/// elements.
///
/// Reads the named top-level variables of classes double, single, the integer classes
/// and logical (as Double), char (UTF-8, UTF-16 or UINT16/UINT8 data), cell and struct;
/// sparse, object and function-handle arrays are refused. Checks: the 128-byte header's
/// version (0x0100) and endian mark; every element's tag and size against the bytes that
/// remain (padding to 8 bytes included); array flags and dimensions (non-negative, product
/// without overflow, and matching the data's element count); struct field names; nesting
/// at most 32 deep. Element counts are bounded by the bytes present before anything is
/// allocated, so a corrupt size cannot drive an allocation.
public enum MATFile {
    /// Parses `bytes`; returns the top-level variables by name (later ones win).
    public static func parse(_ bytes: [UInt8], path: String, maxDecompressed: Int = 1 << 28) throws -> [String: MATValue] {
        func fail(_ offset: Int?, _ message: String) -> DataError {
            DataError(path: path, offset: offset, message: message)
        }
        guard !bytes.isEmpty else { throw fail(nil, "file is empty (0 bytes); expected a MAT-file") }
        guard bytes.count >= 128 else { throw fail(0, "\(bytes.count) bytes is shorter than the 128-byte MAT-file header") }
        let mark = (bytes[126], bytes[127])
        let little: Bool
        switch mark {
        case (0x49, 0x4D): little = true    // "IM": written little-endian
        case (0x4D, 0x49): little = false
        default: throw fail(126, "no MAT-file endian mark (IM or MI) at bytes 126-127, found \(hex([mark.0, mark.1])); not a level-5 MAT-file")
        }
        var reader = MATReader(bytes: bytes, little: little, path: path, base: 0, maxDecompressed: maxDecompressed)
        let version = reader.u16(124)
        guard version == 0x0100 else { throw fail(124, "MAT-file version \(hex32(UInt32(version))); expected 0x0100 (level 5)") }
        var out: [String: MATValue] = [:]
        var at = 128
        while at < bytes.count {
            let (name, value, next) = try reader.element(at: at, depth: 0, topLevel: true)
            if let name, let value { out[name] = value }
            at = next
        }
        return out
    }
}

private struct MATReader {
    let bytes: [UInt8]
    let little: Bool
    let path: String
    /// Offset of `bytes` in the file (nonzero inside a decompressed element, which then
    /// reports offsets into its own stream).
    let base: Int
    let maxDecompressed: Int

    static let miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6,
               miSINGLE = 7, miDOUBLE = 9, miINT64 = 12, miUINT64 = 13, miMATRIX = 14,
               miCOMPRESSED = 15, miUTF8 = 16, miUTF16 = 17, miUTF32 = 18

    func fail(_ offset: Int, _ message: String) -> DataError {
        DataError(path: path, offset: base + offset, offsetIsInDecompressedData: base != 0, message: message)
    }

    func u16(_ at: Int) -> Int {
        little ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : Int(bytes[at]) << 8 | Int(bytes[at + 1])
    }
    func u32(_ at: Int) -> Int {
        little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2)
    }

    /// A tag at `at`: (type, size, data offset, offset after the padded element).
    func tag(at: Int, end: Int) throws -> (type: Int, size: Int, data: Int, next: Int) {
        guard end - at >= 8 else { throw fail(at, "truncated element: \(end - at) byte(s) left, a tag needs 8") }
        let first = u32(at)
        if first >> 16 != 0 {   // small element: size and type in 4 bytes, data in the next 4
            let size = first >> 16, type = first & 0xFFFF
            guard size <= 4 else { throw fail(at, "small data element of \(size) bytes; at most 4 fit") }
            return (type, size, at + 4, at + 8)
        }
        let size = u32(at + 4)
        let padded = (size + 7) / 8 * 8
        guard size <= end - at - 8 else {
            throw fail(at, "element of \(size) bytes runs past the end (\(end - at - 8) byte(s) left)")
        }
        // The last element may omit its padding.
        return (first, size, at + 8, min(at + 8 + padded, end))
    }

    /// Reads the element at `at`; returns its name and value (nil for elements skipped),
    /// and the offset after it.
    mutating func element(at: Int, depth: Int, topLevel: Bool = false) throws -> (String?, MATValue?, Int) {
        let t = try tag(at: at, end: bytes.count)
        if t.type == Self.miCOMPRESSED {
            let input = Array(bytes[t.data..<(t.data + t.size)])
            let inner = try decompress(input, at: t.data)
            var sub = MATReader(bytes: inner, little: little, path: path, base: 0, maxDecompressed: maxDecompressed)
            let (name, value, next) = try sub.element(at: 0, depth: depth, topLevel: topLevel)
            guard next == inner.count else {
                throw fail(t.data, "compressed element holds \(inner.count - next) byte(s) after its matrix")
            }
            return (name, value, t.next)
        }
        guard t.type == Self.miMATRIX else {
            throw fail(at, "element type \(t.type) at the top level; expected a matrix (14) or compressed data (15)")
        }
        let (name, value) = try matrix(from: t.data, end: t.data + t.size, depth: depth)
        return (name, value, t.next)
    }

    /// Inflates a compressed element (zlib), output bounded by `maxDecompressed`.
    func decompress(_ input: [UInt8], at: Int) throws -> [UInt8] {
        // zlib's ratio bound gives the largest output the input could hold.
        let bound = min(maxDecompressed, input.count * 1032 + 64)
        do {
            return try Gzip.decompress(input, path: path, maxOutputBytes: bound)
        } catch let e as DataError {
            throw fail(at, "compressed element: \(e.message)")
        }
    }

    /// Parses a miMATRIX body in `from..<end`.
    mutating func matrix(from start: Int, end: Int, depth: Int) throws -> (String, MATValue) {
        guard depth < 32 else { throw fail(start, "arrays nested more than 32 deep") }
        if start == end { return ("", .numeric(dims: [0, 0], values: [])) }   // empty array
        let flags = try tag(at: start, end: end)
        guard flags.type == Self.miUINT32, flags.size == 8 else { throw fail(start, "expected the 8-byte array-flags element (miUINT32)") }
        let arrayClass = u32(flags.data) & 0xFF
        let complex = u32(flags.data) & 0x0800 != 0
        let dimsTag = try tag(at: flags.next, end: end)
        guard dimsTag.type == Self.miINT32, dimsTag.size % 4 == 0, dimsTag.size >= 8 else {
            throw fail(flags.next, "expected the dimensions element (miINT32, at least 2 dimensions)")
        }
        var dims: [Int] = []
        var count = 1
        for i in 0..<(dimsTag.size / 4) {
            let d = Int(Int32(truncatingIfNeeded: u32(dimsTag.data + 4 * i)))
            guard d >= 0 else { throw fail(dimsTag.data + 4 * i, "negative dimension \(d)") }
            let (c, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, c <= end - start else {
                throw fail(dimsTag.data, "dimensions \(dims + [d]) hold more elements than the array's \(end - start) bytes can")
            }
            count = c
            dims.append(d)
        }
        let nameTag = try tag(at: dimsTag.next, end: end)
        guard nameTag.type == Self.miINT8 || nameTag.type == Self.miUINT8 else {
            throw fail(dimsTag.next, "expected the array-name element (miINT8)")
        }
        let name = String(decoding: bytes[nameTag.data..<(nameTag.data + nameTag.size)], as: UTF8.self)
        var at = nameTag.next
        switch arrayClass {
        case 6, 7, 8, 9, 10, 11, 12, 13, 14, 15:   // double, single, int8 ... uint64
            let (values, next) = try numbers(at: at, end: end, count: count)
            at = next
            if complex { at = try numbers(at: at, end: end, count: count).1 }   // imaginary part, dropped
            try expectEnd(at, end)
            return (name, .numeric(dims: dims, values: values))
        case 4:   // char
            let data = try tag(at: at, end: end)
            let text: String
            switch data.type {
            case Self.miUTF8, Self.miUINT8, Self.miINT8:
                text = String(decoding: bytes[data.data..<(data.data + data.size)], as: UTF8.self)
            case Self.miUTF16, Self.miUINT16:
                guard data.size % 2 == 0 else { throw fail(at, "UTF-16 text of odd length") }
                let units = (0..<(data.size / 2)).map { UInt16(u16(data.data + 2 * $0)) }
                text = String(decoding: units, as: UTF16.self)
            default:
                throw fail(at, "character data of type \(data.type); expected UTF-8 or UTF-16")
            }
            guard text.unicodeScalars.count == count || data.type == Self.miUTF8 else {
                throw fail(at, "character array of \(count) characters holds \(text.unicodeScalars.count)")
            }
            try expectEnd(data.next, end)
            return (name, .char(dims: dims, text: text))
        case 1:   // cell
            var items: [MATValue] = []
            for _ in 0..<count {
                let t = try tag(at: at, end: end)
                guard t.type == Self.miMATRIX else { throw fail(at, "cell element of type \(t.type); expected a matrix") }
                items.append(try matrix(from: t.data, end: t.data + t.size, depth: depth + 1).1)
                at = t.next
            }
            try expectEnd(at, end)
            return (name, .cell(dims: dims, items: items))
        case 2:   // struct
            let lengthTag = try tag(at: at, end: end)
            guard lengthTag.type == Self.miINT32, lengthTag.size == 4 else { throw fail(at, "expected the field-name length (miINT32)") }
            let length = u32(lengthTag.data)
            let namesTag = try tag(at: lengthTag.next, end: end)
            guard namesTag.type == Self.miINT8, length > 0, namesTag.size % length == 0 else {
                throw fail(lengthTag.next, "expected field names (miINT8) in slots of \(length) bytes")
            }
            let fields = (0..<(namesTag.size / length)).map { i in
                String(decoding: bytes[(namesTag.data + i * length)..<(namesTag.data + (i + 1) * length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            guard fields.allSatisfy({ !$0.isEmpty }), Set(fields).count == fields.count else {
                throw fail(namesTag.data, "struct field names must be non-empty and distinct: \(fields)")
            }
            at = namesTag.next
            var elements: [[MATValue]] = []
            for _ in 0..<count {
                var values: [MATValue] = []
                for _ in fields {
                    let t = try tag(at: at, end: end)
                    guard t.type == Self.miMATRIX else { throw fail(at, "struct field of type \(t.type); expected a matrix") }
                    values.append(try matrix(from: t.data, end: t.data + t.size, depth: depth + 1).1)
                    at = t.next
                }
                elements.append(values)
            }
            try expectEnd(at, end)
            return (name, .structure(dims: dims, fields: fields, elements: elements))
        default:
            throw fail(flags.data, "array class \(arrayClass) is not supported (sparse, object or function arrays)")
        }
    }

    func expectEnd(_ at: Int, _ end: Int) throws {
        guard at == end else { throw fail(at, "\(end - at) unexpected byte(s) at the end of an array") }
    }

    /// `count` numbers stored in any numeric type, as Double.
    func numbers(at: Int, end: Int, count: Int) throws -> ([Double], Int) {
        let t = try tag(at: at, end: end)
        let size: Int
        switch t.type {
        case Self.miINT8, Self.miUINT8: size = 1
        case Self.miINT16, Self.miUINT16: size = 2
        case Self.miINT32, Self.miUINT32, Self.miSINGLE: size = 4
        case Self.miDOUBLE, Self.miINT64, Self.miUINT64: size = 8
        default: throw fail(at, "numeric data of type \(t.type); expected an integer or float type")
        }
        guard t.size == count * size else {
            throw fail(at, "numeric data of \(t.size) bytes; \(count) element(s) of \(size) bytes need \(count * size)")
        }
        var out = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let p = t.data + i * size
            switch t.type {
            case Self.miINT8: out[i] = Double(Int8(bitPattern: bytes[p]))
            case Self.miUINT8: out[i] = Double(bytes[p])
            case Self.miINT16: out[i] = Double(Int16(truncatingIfNeeded: u16(p)))
            case Self.miUINT16: out[i] = Double(u16(p))
            case Self.miINT32: out[i] = Double(Int32(truncatingIfNeeded: u32(p)))
            case Self.miUINT32: out[i] = Double(u32(p))
            case Self.miSINGLE: out[i] = Double(Float(bitPattern: UInt32(u32(p))))
            default:
                let lo = UInt64(u32(p)), hi = UInt64(u32(p + 4))
                let bits = little ? lo | hi << 32 : hi | lo << 32
                out[i] = t.type == Self.miDOUBLE ? Double(bitPattern: bits)
                    : t.type == Self.miINT64 ? Double(Int64(bitPattern: bits)) : Double(bits)
            }
        }
        return (out, t.next)
    }
}
