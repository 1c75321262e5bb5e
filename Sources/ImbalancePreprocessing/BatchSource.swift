import ImbalanceRandom

/// Where a training step or an evaluation gets its input batches: the in-memory
/// `InputPipeline` or the decoding `StreamedPipeline`.
public protocol BatchSource: AnyObject {
    var count: Int { get }
    var labels: [Int] { get }
    /// Consumed only by augmentation; set per training phase from the job's seeds.
    var augmentationStream: RandomStream { get set }
    /// The first error met while filling a batch (a corrupt image of a streamed set), or
    /// nil. The trainer stops when it is set, and the experiment reports it.
    var failure: Error? { get }
    /// Writes the images `indices` (NCHW floats) and their labels; allocates nothing per
    /// call in the in-memory pipeline.
    func fillBatch(indices: UnsafeBufferPointer<Int>, into output: UnsafeMutablePointer<Float>,
                   labels labelOutput: UnsafeMutablePointer<Int>?)
}

extension InputPipeline: BatchSource {
    /// In-memory images cannot fail to load once the dataset is built.
    public var failure: Error? { nil }
}
