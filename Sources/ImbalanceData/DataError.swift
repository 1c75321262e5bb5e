/// An error in a data file or data location that a user can hit and must be able to fix.
///
/// Every such error names the file (or directory) it is about, because "bad magic number"
/// without a path is useless when a run reads four files from a directory found by a
/// search rule. Where the problem sits at a known place in the file, the error also carries
/// the byte offset and/or the header field, so a user can check it with `xxd` or `od`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file or directory the problem is in.
    public var path: String
    /// The header field or item involved (for example `"magic"`, `"dimension 1 (rows)"`,
    /// `"label[123]"`), when there is one.
    public var field: String?
    /// Byte offset of the problem, when known.
    public var offset: Int?
    /// True when `offset` counts bytes of the decompressed content of a gzip file rather
    /// than bytes on disk; the two differ, and a user inspecting the file needs to know which.
    public var offsetIsInDecompressedData: Bool
    /// What was expected and what was found.
    public var message: String

    public init(path: String, field: String? = nil, offset: Int? = nil,
                offsetIsInDecompressedData: Bool = false, message: String) {
        self.path = path
        self.field = field
        self.offset = offset
        self.offsetIsInDecompressedData = offsetIsInDecompressedData
        self.message = message
    }

    public var description: String {
        var where_: [String] = []
        if let field { where_.append(field) }
        if let offset {
            where_.append(offsetIsInDecompressedData
                ? "byte \(offset) of the decompressed data" : "byte \(offset)")
        }
        let location = where_.isEmpty ? "" : " (" + where_.joined(separator: ", ") + ")"
        return "\(path)\(location): \(message)"
    }
}
