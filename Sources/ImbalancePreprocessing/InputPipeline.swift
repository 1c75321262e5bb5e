import ImbalanceData
import ImbalanceRandom

/// Training-time augmentation.
public enum Augmentation: String, CaseIterable, Sendable, Codable {
    case none
    /// Zero-pad 4 pixels, take a random crop of the original size, mirror with p = 1/2
    /// (the CIFAR ResNet recipe of He et al.).
    case cropMirror = "crop-mirror"

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
    public static let cropPadding = 4
}

/// A preprocessing recipe with its statistics, fitted on the training subset.
public enum FittedPreprocessing: Sendable {
    case scale
    case gcnZCA(ZCAWhitening)
    case standardize(ChannelStandardization)

    public var kind: Preprocessing {
        switch self {
        case .scale: return .scale
        case .gcnZCA: return .gcnZCA
        case .standardize: return .standardize
        }
    }
}

/// Where a training step gets its input batch from: a dataset plus its preprocessing and
/// augmentation. With `.scale` the bytes are converted per batch, exactly as before
/// (LeNet-5's records do not change); fitted transforms are applied once, up front, to the
/// images that will ever be read (the training subset, the test set), because ZCA costs a
/// 3,072 x 3,072 matrix product per image: far too much to redo every epoch.
public final class InputPipeline {
    public let dataset: ImageDataset
    public let preprocessing: FittedPreprocessing
    public let augmentation: Augmentation
    /// Consumed only by augmentation; set per training phase from the job's seeds.
    public var augmentationStream = RandomStream(seed: 0)
    /// dataset index -> row of `values`, or -1 when the image was not prepared.
    private let rowOfImage: [Int32]
    private let values: UnsafeMutablePointer<Float>?
    private let scratch: UnsafeMutablePointer<Float>

    public var count: Int { dataset.count }
    public var labels: [Int] { dataset.labels }
    public var classCount: Int { dataset.classCount }
    public var sampleSize: Int { dataset.sampleSize }

    /// Fits `kind` on `fitIndices` of `train` (duplicates ignored) and returns the
    /// training pipeline (holding `prepareIndices`, default the fitted images) and the
    /// test pipeline (all of `test`, never augmented).
    public static func make(_ kind: Preprocessing, augmentation: Augmentation,
                            train: ImageDataset, fitIndices: [Int], prepareIndices: [Int]? = nil,
                            test: ImageDataset) throws -> (train: InputPipeline, test: InputPipeline) {
        let unique = Array(Set(fitIndices)).sorted()
        let fitted: FittedPreprocessing
        switch kind {
        case .scale:
            fitted = .scale
        case .standardize:
            fitted = .standardize(try ChannelStandardization.fit(train, indices: unique))
        case .gcnZCA:
            guard train.sampleSize <= 4_096 else {
                throw PreprocessingError("ZCA on \(train.sampleSize)-value images would need a \(train.sampleSize)^2 matrix; use standardize for large inputs")
            }
            let d = train.sampleSize
            let x = UnsafeMutablePointer<Float>.allocate(capacity: unique.count * d)
            defer { x.deallocate() }
            fillRaw(train, indices: unique, into: x)
            for r in 0..<unique.count { GlobalContrastNormalization.apply(x + r * d, size: d) }
            fitted = .gcnZCA(try ZCAWhitening.fit(x, count: unique.count, size: d))
        }
        let trainPipeline = InputPipeline(dataset: train, preprocessing: fitted,
                                          augmentation: augmentation,
                                          prepare: prepareIndices ?? unique)
        let testPipeline = InputPipeline(dataset: test, preprocessing: fitted, augmentation: .none,
                                         prepare: Array(0..<test.count))
        return (trainPipeline, testPipeline)
    }

    /// Caffe's x/256 input, no augmentation (the LeNet-5 protocol).
    public static func scaled(_ data: ImageDataset) -> InputPipeline {
        InputPipeline(dataset: data, preprocessing: .scale, augmentation: .none, prepare: [])
    }

    public init(dataset: ImageDataset, preprocessing: FittedPreprocessing,
                augmentation: Augmentation, prepare indices: [Int]) {
        self.dataset = dataset
        self.preprocessing = preprocessing
        self.augmentation = augmentation
        let d = dataset.sampleSize
        scratch = .allocate(capacity: d)
        if case .scale = preprocessing {
            rowOfImage = []
            values = nil
            return
        }
        let unique = Array(Set(indices)).sorted()
        var rows = [Int32](repeating: -1, count: dataset.count)
        for (r, i) in unique.enumerated() { rows[i] = Int32(r) }
        rowOfImage = rows
        let v = UnsafeMutablePointer<Float>.allocate(capacity: max(1, unique.count * d))
        values = v
        Self.fillRaw(dataset, indices: unique, into: v)
        switch preprocessing {
        case .scale:
            break
        case .gcnZCA(let zca):
            for r in 0..<unique.count { GlobalContrastNormalization.apply(v + r * d, size: d) }
            zca.apply(v, count: unique.count)
        case .standardize(let s):
            let plane = dataset.height * dataset.width
            for r in 0..<unique.count {
                for c in 0..<dataset.channels {
                    let p = v + r * d + c * plane
                    let m = Float(s.mean[c]), inv = Float(1 / s.std[c])
                    for k in 0..<plane { p[k] = (p[k] / 255 - m) * inv }
                }
            }
        }
    }

    deinit {
        values?.deallocate()
        scratch.deallocate()
    }

    /// Raw byte values as Float (0...255), image after image.
    static func fillRaw(_ data: ImageDataset, indices: [Int], into x: UnsafeMutablePointer<Float>) {
        let d = data.sampleSize
        data.pixels.withUnsafeBufferPointer { px in
            for (r, i) in indices.enumerated() {
                let src = px.baseAddress! + i * d, dst = x + r * d
                for k in 0..<d { dst[k] = Float(src[k]) }
            }
        }
    }

    /// Writes the images `indices` (NCHW) and their labels; called once per training step,
    /// so it allocates nothing. Augmentation, when on, draws from `augmentationStream`.
    public func fillBatch(indices: UnsafeBufferPointer<Int>, into output: UnsafeMutablePointer<Float>,
                          labels labelOutput: UnsafeMutablePointer<Int>?) {
        guard let values else {
            dataset.fillBatch(indices: indices, into: output, labels: labelOutput,
                              scale: ImageDataset.caffeScale)
            return
        }
        let d = sampleSize
        var out = output
        for i in indices {
            precondition(i >= 0 && i < rowOfImage.count, "batch index \(i) out of 0..<\(rowOfImage.count)")
            let row = rowOfImage[i]
            precondition(row >= 0, "image \(i) of \(dataset.name) was not preprocessed")
            let src = values + Int(row) * d
            switch augmentation {
            case .none:
                out.update(from: src, count: d)
            case .cropMirror:
                cropMirror(src, into: out)
            }
            out += d
        }
        if let labelOutput {
            dataset.labels.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() { labelOutput[k] = src[i] }
            }
        }
    }

    /// One random crop (offsets in -pad...pad) of the zero-padded image, mirrored with
    /// probability 1/2.
    private func cropMirror(_ src: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let pad = Augmentation.cropPadding
        let h = dataset.height, w = dataset.width
        let dy = augmentationStream.uniformInt(below: 2 * pad + 1) - pad
        let dx = augmentationStream.uniformInt(below: 2 * pad + 1) - pad
        let mirror = augmentationStream.uniformInt(below: 2) == 1
        for c in 0..<dataset.channels {
            let plane = src + c * h * w, dst = out + c * h * w
            for y in 0..<h {
                let sy = y + dy
                let row = dst + y * w
                guard sy >= 0 && sy < h else {
                    row.update(repeating: 0, count: w)
                    continue
                }
                let srcRow = plane + sy * w
                for x in 0..<w {
                    let sx = (mirror ? w - 1 - x : x) + dx
                    row[x] = (sx >= 0 && sx < w) ? srcRow[sx] : 0
                }
            }
        }
    }
}
