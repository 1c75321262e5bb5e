import Foundation

/// The test-set softmax outputs of a job, kept beside its record (`ID.scores` next to
/// `ID.json`) when the job runs with `--save-scores` (sweeps: `saveScores: true`), so any
/// metric can be recomputed later without retraining.
///
/// Binary layout (all integers little-endian; docs/scores-format.md has the same):
///
///     offset  size        field
///     0       8           magic "IMBSCORE"
///     8       4           format version, UInt32 = 1
///     12      4           n, test samples, UInt32
///     16      4           K, classes, UInt32
///     20      4           S, score sets, UInt32
///     24      4           L, length of the record id in bytes, UInt32
///     28      L           record id, UTF-8
///     ...     4 n         labels, UInt32 each, in test-set order
///     then S times:
///             4           M, length of the set's header in bytes, UInt32
///             M           header, UTF-8: the phase name, a tab, then the method names
///                         these scores were evaluated for, separated by commas
///                         (e.g. "phase1\tROS,ROS+thresholding")
///             4 n K       scores, Float32 (IEEE 754 binary32), row-major (sample, class)
///     last    8           FNV-1a 64 hash of every byte before it, UInt64
///
/// A thresholded method's scores are not stored: they are the set's scores divided by the
/// record's training priors (`data.trainCounts`). The hash makes a truncated or corrupted
/// file an error rather than a silent wrong metric.
public struct ScoreFile: Sendable, Equatable {
    /// One network's outputs on the test set.
    public struct ScoreSet: Sendable, Equatable {
        /// "phase1" (the network as trained) or "phase2" (after two-phase fine-tuning).
        public var phase: String
        /// Methods whose metrics came from these scores.
        public var methods: [String]
        /// `(n, K)` row-major softmax outputs.
        public var scores: [Float]
        public init(phase: String, methods: [String], scores: [Float]) {
            self.phase = phase; self.methods = methods; self.scores = scores
        }
    }

    public static let magic = Array("IMBSCORE".utf8)
    public static let formatVersion: UInt32 = 1

    /// The record this belongs to.
    public var recordID: String
    public var classCount: Int
    /// Test labels, one per sample.
    public var labels: [Int]
    public var sets: [ScoreSet]

    public init(recordID: String, classCount: Int, labels: [Int], sets: [ScoreSet]) {
        self.recordID = recordID; self.classCount = classCount; self.labels = labels; self.sets = sets
    }

    /// The sidecar path of a record path: `x.json` -> `x.scores` (else `.scores` appended).
    public static func path(forRecord recordPath: String) -> String {
        (recordPath.hasSuffix(".json") ? String(recordPath.dropLast(5)) : recordPath) + ".scores"
    }

    /// The scores a method's metrics came from.
    public func set(forMethod method: String) -> ScoreSet? {
        sets.first { $0.methods.contains(method) }
    }

    /// The encoded bytes.
    public func encoded() -> Data {
        var out = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Self.magic)
        u32(Int(Self.formatVersion))
        u32(labels.count); u32(classCount); u32(sets.count)
        let id = Array(recordID.utf8)
        u32(id.count); out.append(contentsOf: id)
        for y in labels { u32(y) }
        for s in sets {
            let header = Array((s.phase + "\t" + s.methods.joined(separator: ",")).utf8)
            u32(header.count); out.append(contentsOf: header)
            s.scores.withUnsafeBufferPointer { buffer in
                if UInt32(1).littleEndian == 1 {
                    out.append(buffer)   // the host's bytes are already little-endian
                } else {
                    for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                }
            }
        }
        let h = fnv1a(out)
        withUnsafeBytes(of: h.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the file atomically (see `RecordIO.writeAtomically`).
    public func write(to path: String) throws {
        try RecordIO.writeAtomically(encoded(), to: path)
    }

    /// Reads and checks a score file; every error names the file and what is wrong.
    public static func read(_ path: String) throws -> ScoreFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecordError("cannot read score file \(path)")
        }
        do {
            return try decode(data)
        } catch let e as RecordError {
            throw RecordError("\(path): \(e.description)")
        }
    }

    /// Decodes bytes made by `encoded()`.
    public static func decode(_ data: Data) throws -> ScoreFile {
        let bytes = [UInt8](data)
        guard bytes.count >= 36, Array(bytes[0..<8]) == magic else {
            throw RecordError("not an ImbalanceBench score file (no IMBSCORE header)")
        }
        let body = bytes.count - 8
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(bytes[body + i]) << (8 * UInt64(i)) }
        guard stored == fnv1a(bytes[0..<body]) else {
            throw RecordError("checksum mismatch: the file is truncated or corrupted")
        }
        var offset = 8
        func u32() throws -> Int {
            guard offset + 4 <= body else { throw RecordError("ends early at byte \(offset)") }
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
            offset += 4
            return Int(v)
        }
        func text(_ count: Int) throws -> String {
            guard offset + count <= body else { throw RecordError("ends early at byte \(offset)") }
            defer { offset += count }
            guard let s = String(validating: bytes[offset..<(offset + count)], as: UTF8.self) else {
                throw RecordError("invalid UTF-8 at byte \(offset)")
            }
            return s
        }
        let version = try u32()
        guard version == Int(formatVersion) else {
            throw RecordError("unsupported score-file version \(version) (this build reads \(formatVersion))")
        }
        let n = try u32(), k = try u32(), setCount = try u32()
        guard k >= 1 else { throw RecordError("class count is 0") }
        let id = try text(try u32())
        var labels: [Int] = []
        labels.reserveCapacity(n)
        for i in 0..<n {
            let y = try u32()
            guard y < k else { throw RecordError("label \(y) of sample \(i) is outside 0..<\(k)") }
            labels.append(y)
        }
        var sets: [ScoreSet] = []
        for _ in 0..<setCount {
            let header = try text(try u32())
            let parts = header.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw RecordError("score-set header '\(header)' has no tab") }
            let count = n * k
            guard offset + 4 * count <= body else { throw RecordError("ends early in the scores of \(parts[0])") }
            var scores = [Float](repeating: 0, count: count)
            for j in 0..<count {
                let o = offset + 4 * j
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                scores[j] = Float(bitPattern: bits)
            }
            offset += 4 * count
            sets.append(ScoreSet(phase: String(parts[0]),
                                 methods: parts[1].split(separator: ",").map(String.init), scores: scores))
        }
        guard offset == body else { throw RecordError("\(body - offset) unexpected bytes before the checksum") }
        return ScoreFile(recordID: id, classCount: k, labels: labels, sets: sets)
    }
}

/// FNV-1a, 64 bits.
func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
