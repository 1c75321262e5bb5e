import ImbalanceData
import ImbalanceRandom

/// Batches from images decoded on demand (`StreamedImages`, ILSVRC-2012), cropped to the
/// network's square input: a random crop mirrored with probability 1/2 in training (when
/// augmenting), the centre crop otherwise; then Caffe's x/256 scale or per-channel
/// standardisation with statistics fitted on the training subset.
///
/// Augmentation draws, per image: the crop's row offset, its column offset (each uniform
/// over every position that fits), then the mirror bit. Decoding happens in `fillBatch`,
/// one image at a time into a reused buffer; a file that fails to decode sets `failure`
/// (the batch gets zeros for it) and the trainer stops there.
public final class StreamedPipeline: BatchSource {
    public let images: StreamedImages
    public let crop: Int
    public let randomCrops: Bool
    /// nil: x/256 (Caffe's scale).
    public let standardization: ChannelStandardization?
    public var augmentationStream = RandomStream(seed: 0)
    public private(set) var failure: Error?

    public var count: Int { images.count }
    public var labels: [Int] { images.labels }

    /// At most this many training images are decoded to fit the channel statistics: an
    /// evenly spaced sample of the fitting set (every k-th image in index order), so the
    /// fit needs no random stream and costs minutes, not the hours of a full pass.
    public static let maxFitImages = 10_000

    public init(images: StreamedImages, crop: Int, randomCrops: Bool,
                standardization: ChannelStandardization?) {
        self.images = images; self.crop = crop; self.randomCrops = randomCrops
        self.standardization = standardization
    }

    /// Per-channel mean and standard deviation of x / 255 over whole decoded images (not
    /// crops) of the sample of `indices` described at `maxFitImages`.
    public static func fitStandardization(_ images: StreamedImages, indices: [Int],
                                          limit: Int = maxFitImages) throws -> ChannelStandardization {
        let unique = Array(Set(indices)).sorted()
        guard !unique.isEmpty else { throw PreprocessingError("no training images to fit channel statistics on") }
        let step = max(1, (unique.count + limit - 1) / limit)
        let c = images.channels
        var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
        var values = 0
        for k in stride(from: 0, to: unique.count, by: step) {
            let image = try images.decode(unique[k])
            let plane = image.height * image.width
            image.pixels.withUnsafeBufferPointer { px in
                for ch in 0..<c {
                    var s = 0.0, q = 0.0
                    for p in 0..<plane {
                        let v = Double(px[ch * plane + p]) / 255
                        s += v; q += v * v
                    }
                    sum[ch] += s; squares[ch] += q
                }
            }
            values += plane
        }
        let n = Double(values)
        let mean = sum.map { $0 / n }
        let std = zip(squares, mean).map { max($0 / n - $1 * $1, 0).squareRoot() }
        return ChannelStandardization(mean: mean, std: std.map { $0 > 1e-12 ? $0 : 1 })
    }

    public func fillBatch(indices: UnsafeBufferPointer<Int>, into output: UnsafeMutablePointer<Float>,
                          labels labelOutput: UnsafeMutablePointer<Int>?) {
        let c = images.channels, plane = crop * crop
        var out = output
        for (k, i) in indices.enumerated() {
            labelOutput?[k] = images.labels[i]
            guard failure == nil else { out.update(repeating: 0, count: c * plane); out += c * plane; continue }
            let image: (pixels: [UInt8], height: Int, width: Int)
            do {
                image = try images.decode(i)
                guard image.height >= crop && image.width >= crop else {
                    throw DataError(path: images.source(of: i), message: "decoded image is \(image.width) x \(image.height), smaller than the \(crop) x \(crop) crop")
                }
            } catch {
                failure = error
                out.update(repeating: 0, count: c * plane); out += c * plane
                continue
            }
            let (h, w) = (image.height, image.width)
            var y0 = (h - crop) / 2, x0 = (w - crop) / 2, mirror = false
            if randomCrops {
                y0 = augmentationStream.uniformInt(below: h - crop + 1)
                x0 = augmentationStream.uniformInt(below: w - crop + 1)
                mirror = augmentationStream.uniformInt(below: 2) == 1
            }
            image.pixels.withUnsafeBufferPointer { px in
                for ch in 0..<c {
                    let scale: Float, shift: Float
                    if let s = standardization {
                        scale = Float(1 / (255 * s.std[ch])); shift = Float(s.mean[ch] / s.std[ch])
                    } else {
                        scale = ImageDataset.caffeScale; shift = 0
                    }
                    let src = px.baseAddress! + ch * h * w
                    let dst = out + ch * plane
                    for y in 0..<crop {
                        let row = src + (y0 + y) * w + x0
                        for x in 0..<crop {
                            dst[y * crop + x] = Float(row[mirror ? crop - 1 - x : x]) * scale - shift
                        }
                    }
                }
            }
            out += c * plane
        }
    }
}
