/// The SHA-256 of one data file's content as the readers parsed it (after gzip
/// decompression, so a recompressed copy of the same data has the same digest).
public struct DataFileDigest: Sendable, Equatable, Codable {
    /// The file as given to the reader.
    public var path: String
    /// Bytes parsed (decompressed size).
    public var bytes: Int
    public var sha256: String
    /// Whether the file on disk was gzip-compressed.
    public var compressed: Bool

    public init(path: String, bytes: Int, sha256: String, compressed: Bool) {
        self.path = path; self.bytes = bytes; self.sha256 = sha256; self.compressed = compressed
    }
}
