/// A user's own dataset as a job records it (`JobConfig.data`): which reader, where, and
/// the shape and splits asked for. Built-in datasets have none (nil, absent from the JSON,
/// so their configs and run ids are as before).
public struct DataSpec: Codable, Sendable, Equatable, Hashable {
    /// The reader's format name (`npz`, `folder`, `csv`, `idx`, `cifar-binary`); always
    /// resolved, never "guess", so the record says how the data was read.
    public var format: String
    /// Absolute path of the file or folder.
    public var path: String
    /// Every image resized to height x width (nil: as stored).
    public var height: Int?
    public var width: Int?
    /// 1 or 3 (nil: as stored).
    public var channels: Int?
    /// Stratified fraction held out as the test set, for data without a test split.
    public var testFraction: Double?
    /// Stratified fraction of the training set held out as the validation set.
    public var validationFraction: Double?
    /// Seed of those splits (nil: 0).
    public var splitSeed: UInt64?

    public init(format: String, path: String, height: Int? = nil, width: Int? = nil,
                channels: Int? = nil, testFraction: Double? = nil,
                validationFraction: Double? = nil, splitSeed: UInt64? = nil) {
        self.format = format; self.path = path; self.height = height; self.width = width
        self.channels = channels; self.testFraction = testFraction
        self.validationFraction = validationFraction; self.splitSeed = splitSeed
    }
}
