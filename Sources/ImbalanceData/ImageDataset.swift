#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A labelled image set held in memory as bytes.
///
/// A value type so that base sets, imbalanced sets and resampled sets are independent
/// copies that cannot alias each other's storage by accident (Swift's copy-on-write keeps
/// plain passing cheap). Pixels stay `UInt8` (a quarter of the memory of Float; CIFAR-10's
/// 50,000 images are 150 MB as bytes) and become Float only per batch in `fillBatch`.
///
/// Labels are `Int`, not `Int32`: they are used as array indices everywhere downstream
/// (class counts, priors, confusion matrices, per-class index lists), and 8 bytes per
/// label is negligible next to the pixels (784 to 150,528 bytes per image).
public struct ImageDataset: Equatable, Sendable {
    /// Short name for records and messages, e.g. `"mnist/train"`.
    public let name: String
    public let channels: Int
    public let height: Int
    public let width: Int
    /// NCHW bytes: `count * channels * height * width`, image after image, each image
    /// plane after plane, each plane row-major.
    public let pixels: [UInt8]
    /// One label per image, each in `0..<classCount`.
    public let labels: [Int]
    /// Human-readable class names, indexed by label; their count is the class count.
    public let classNames: [String]

    /// Caffe's input scale for 8-bit images, 1/256 (exact in Float), mapping bytes into
    /// [0, 1) as the paper's LeNet-5 setup does.
    public static let caffeScale: Float = 0.00390625

    /// Builds a dataset from already-validated parts. Shapes and label ranges are checked
    /// with preconditions: the loaders validate file content first and throw `DataError`,
    /// so a failure here is a programming error, not bad input.
    public init(name: String, channels: Int, height: Int, width: Int,
                pixels: [UInt8], labels: [Int], classNames: [String]) {
        precondition(channels > 0 && height > 0 && width > 0, "image shape must be positive")
        precondition(pixels.count == labels.count * channels * height * width,
                     "pixel count \(pixels.count) does not match \(labels.count) images of \(channels)x\(height)x\(width)")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classNames.count },
                     "labels must lie in 0..<\(classNames.count)")
        self.name = name
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }

    /// Values per image, `channels * height * width`. (`count`, `classCount`,
    /// `classCounts()` and `indicesByClass()` come with `LabelledImages`.)
    public var sampleSize: Int { channels * height * width }

    /// A new dataset holding the images at `indices`, in that order. Repeats are allowed
    /// and produce real copies, which is what oversampling (ROS) needs.
    public func subset(_ indices: [Int]) -> ImageDataset {
        let size = sampleSize
        let n = count
        for i in indices { precondition(i >= 0 && i < n, "subset index \(i) out of 0..<\(n)") }
        let newPixels = [UInt8](unsafeUninitializedCapacity: indices.count * size) { out, initialized in
            pixels.withUnsafeBufferPointer { src in
                if let srcBase = src.baseAddress, let outBase = out.baseAddress {
                    for (k, i) in indices.enumerated() {
                        memcpy(outBase + k * size, srcBase + i * size, size)
                    }
                }
            }
            initialized = indices.count * size
        }
        return ImageDataset(name: name, channels: channels, height: height, width: width,
                            pixels: newPixels, labels: indices.map { labels[$0] },
                            classNames: classNames)
    }

    /// Writes one batch: for each of `indices`, its pixels as `Float(byte) * scale` into
    /// `output` (NCHW, `indices.count * sampleSize` floats) and its label into `labels`
    /// (`indices.count` entries; pass nil to skip).
    ///
    /// This runs once per training iteration, so it allocates nothing and works on raw
    /// pointers; the caller owns and sizes both buffers. Indices are range-checked because
    /// an out-of-range index would otherwise read foreign memory silently.
    public func fillBatch(indices: UnsafeBufferPointer<Int>, into output: UnsafeMutablePointer<Float>,
                          labels labelOutput: UnsafeMutablePointer<Int>?, scale: Float) {
        let size = sampleSize
        let n = count
        pixels.withUnsafeBufferPointer { src in
            guard let srcBase = src.baseAddress else { return }
            var out = output
            for i in indices {
                precondition(i >= 0 && i < n, "batch index \(i) out of 0..<\(n)")
                let from = srcBase + i * size
                for k in 0..<size { out[k] = Float(from[k]) * scale }
                out += size
            }
        }
        if let labelOutput {
            labels.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() { labelOutput[k] = src[i] }
            }
        }
    }

    /// `fillBatch` over a slice of an index array (an epoch's shuffled order, for example).
    /// Array slices are contiguous, so this does not copy or allocate.
    public func fillBatch(indices: ArraySlice<Int>, into output: UnsafeMutablePointer<Float>,
                          labels labelOutput: UnsafeMutablePointer<Int>?, scale: Float) {
        indices.withUnsafeBufferPointer { buffer in
            fillBatch(indices: buffer, into: output, labels: labelOutput, scale: scale)
        }
    }

    /// A freshly allocated batch, for evaluation code and tests where one allocation per
    /// call does not matter. Returns `indices.count * sampleSize` floats and the labels.
    public func batch(indices: [Int], scale: Float) -> (pixels: [Float], labels: [Int]) {
        var values = [Float](repeating: 0, count: indices.count * sampleSize)
        var batchLabels = [Int](repeating: 0, count: indices.count)
        values.withUnsafeMutableBufferPointer { v in
            batchLabels.withUnsafeMutableBufferPointer { l in
                guard let vBase = v.baseAddress, let lBase = l.baseAddress else { return }
                fillBatch(indices: indices[...], into: vBase, labels: lBase, scale: scale)
            }
        }
        return (values, batchLabels)
    }
}
