import ImbalanceReferences

/// One convolution layer of the study's networks at the batch size it is benchmarked with.
///
/// The catalogue lists each distinct shape once: a shape that a network repeats (All-CNN's
/// second 3x3x192 layer, ResNet's second 3x3 convolution of a block) costs the same every
/// time, so timing it twice would add nothing.
public struct ConvShape: Sendable, Hashable, Codable {
    public let network: String
    public let layer: String
    public let inputChannels: Int
    public let filters: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let height: Int
    public let width: Int
    public let batch: Int

    public init(_ network: String, _ layer: String, _ inputChannels: Int, _ filters: Int,
                kernel: Int, stride: Int = 1, padding: Int = 0, size: Int, batch: Int) {
        precondition(size + 2 * padding >= kernel, "\(network).\(layer): kernel larger than input")
        self.network = network; self.layer = layer
        self.inputChannels = inputChannels; self.filters = filters
        self.kernel = kernel; self.stride = stride; self.padding = padding
        height = size; width = size; self.batch = batch
    }

    /// Output size by the references' floor rule.
    public var outHeight: Int { reference.outHeight }
    public var outWidth: Int { reference.outWidth }
    public var outPlane: Int { reference.outPlane }
    /// Rows of the im2col matrix: C*K*K, the depth of every GEMM the layer issues.
    public var patchSize: Int { reference.patchSize }
    public var macsPerImage: Int { filters * outPlane * patchSize }
    public var macs: Int { batch * macsPerImage }
    /// Floating-point operations of one pass (forward, input gradient or weight gradient):
    /// each multiply-accumulate counts as two, as every GFLOP/s figure here does.
    public var flops: Double { 2 * Double(macs) }

    public var id: String { "\(network).\(layer).b\(batch)" }

    /// The dimensions the naive references take.
    public var reference: Reference.ConvolutionShape {
        Reference.ConvolutionShape(inputChannels: inputChannels, filters: filters, kernel: kernel,
                                   stride: stride, padding: padding, height: height, width: width)
    }

    /// The same layer at another batch size.
    public func with(batch: Int) -> ConvShape {
        ConvShape(network, layer, inputChannels, filters, kernel: kernel, stride: stride,
                  padding: padding, size: height, batch: batch)
    }

    /// For example "96→96 3×3 s2 p1, 32×32→16×16, N=64".
    public var description: String {
        "\(inputChannels)→\(filters) \(kernel)×\(kernel) s\(stride) p\(padding), "
            + "\(height)×\(width)→\(outHeight)×\(outWidth), N=\(batch)"
    }
}

/// A max-pooling layer (no padding) at its benchmarked batch size.
public struct PoolShape: Sendable, Hashable, Codable {
    public let network: String
    public let layer: String
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernel: Int
    public let stride: Int
    public let batch: Int

    public init(_ network: String, _ layer: String, channels: Int, size: Int, kernel: Int,
                stride: Int, batch: Int) {
        self.network = network; self.layer = layer; self.channels = channels
        height = size; width = size; self.kernel = kernel; self.stride = stride
        self.batch = batch
    }

    /// Caffe's ceil rule without padding (the references'): windows that start inside the
    /// image count.
    public var outHeight: Int { reference.outHeight }
    public var outWidth: Int { reference.outWidth }
    public var inputCount: Int { reference.inputCount }
    public var outputCount: Int { reference.outputCount }
    public var id: String { "\(network).\(layer).b\(batch)" }
    /// The dimensions the naive references take.
    public var reference: Reference.PoolShape {
        Reference.PoolShape(batch: batch, channels: channels, height: height, width: width,
                            kernel: kernel, stride: stride)
    }
    public var description: String {
        "\(channels)×\(height)×\(width) \(kernel)×\(kernel)/\(stride) → "
            + "\(channels)×\(outHeight)×\(outWidth), N=\(batch)"
    }
}

/// One row-major sgemm call, C (m×n) = op(A) (m×k) · op(B) (k×n): the references' shape.
public typealias GemmShape = Reference.GemmShape

extension GemmShape {
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    public var id: String { "sgemm.\(transA ? "T" : "N")\(transB ? "T" : "N").\(m)x\(n)x\(k)" }
    public var description: String {
        "\(transA ? "Aᵀ" : "A")·\(transB ? "Bᵀ" : "B") m=\(m) n=\(n) k=\(k)"
    }
}

/// Every shape the benchmarks time: the convolutions of LeNet-5, All-CNN and ResNet-10
/// (CIFAR stem), LeNet-5's pooling, and the GEMM yardstick.
public enum Catalogue {
    /// Caffe's LeNet-5 on 28×28 MNIST, batch 64 (the paper's).
    public static let lenet5: [ConvShape] = [
        ConvShape("lenet5", "conv1", 1, 20, kernel: 5, size: 28, batch: 64),
        ConvShape("lenet5", "conv2", 20, 50, kernel: 5, size: 12, batch: 64),
    ]

    /// All-CNN-C on 32×32 CIFAR-10 at batch 64; the paper trains at 256, and its heaviest
    /// layer is also timed there to show what the larger batch changes.
    public static let allCNN: [ConvShape] = {
        let b = 64
        let layers = [
            ConvShape("allcnn", "conv1", 3, 96, kernel: 3, padding: 1, size: 32, batch: b),
            ConvShape("allcnn", "conv2", 96, 96, kernel: 3, padding: 1, size: 32, batch: b),
            ConvShape("allcnn", "conv3", 96, 96, kernel: 3, stride: 2, padding: 1, size: 32, batch: b),
            ConvShape("allcnn", "conv4", 96, 192, kernel: 3, padding: 1, size: 16, batch: b),
            ConvShape("allcnn", "conv5", 192, 192, kernel: 3, padding: 1, size: 16, batch: b),
            ConvShape("allcnn", "conv6", 192, 192, kernel: 3, stride: 2, padding: 1, size: 16, batch: b),
            ConvShape("allcnn", "conv7", 192, 192, kernel: 3, size: 8, batch: b),
            ConvShape("allcnn", "conv8", 192, 192, kernel: 1, size: 6, batch: b),
            ConvShape("allcnn", "conv9", 192, 10, kernel: 1, size: 6, batch: b),
        ]
        return layers + [layers[1].with(batch: 256)]
    }()

    /// ResNet-10 with the CIFAR stem (3×3 convolution, no max pool) on 32×32, batch 64: the
    /// stem, one distinct shape per 3×3 convolution of the four basic blocks, and the three
    /// 1×1 stride-2 projection shortcuts.
    public static let resnet10: [ConvShape] = {
        let b = 64
        return [
            ConvShape("resnet10", "stem", 3, 64, kernel: 3, padding: 1, size: 32, batch: b),
            ConvShape("resnet10", "block1", 64, 64, kernel: 3, padding: 1, size: 32, batch: b),
            ConvShape("resnet10", "block2a", 64, 128, kernel: 3, stride: 2, padding: 1, size: 32, batch: b),
            ConvShape("resnet10", "block2b", 128, 128, kernel: 3, padding: 1, size: 16, batch: b),
            ConvShape("resnet10", "block3a", 128, 256, kernel: 3, stride: 2, padding: 1, size: 16, batch: b),
            ConvShape("resnet10", "block3b", 256, 256, kernel: 3, padding: 1, size: 8, batch: b),
            ConvShape("resnet10", "block4a", 256, 512, kernel: 3, stride: 2, padding: 1, size: 8, batch: b),
            ConvShape("resnet10", "block4b", 512, 512, kernel: 3, padding: 1, size: 4, batch: b),
            ConvShape("resnet10", "proj2", 64, 128, kernel: 1, stride: 2, size: 32, batch: b),
            ConvShape("resnet10", "proj3", 128, 256, kernel: 1, stride: 2, size: 16, batch: b),
            ConvShape("resnet10", "proj4", 256, 512, kernel: 1, stride: 2, size: 8, batch: b),
        ]
    }()

    public static var convolutions: [ConvShape] { lenet5 + allCNN + resnet10 }

    /// LeNet-5's two 2×2/2 max pools, on conv1's and conv2's outputs.
    public static let pools: [PoolShape] = [
        PoolShape("lenet5", "pool1", channels: 20, size: 24, kernel: 2, stride: 2, batch: 64),
        PoolShape("lenet5", "pool2", channels: 50, size: 8, kernel: 2, stride: 2, batch: 64),
    ]

    /// im2col and col2im alone, on shapes that span the range: LeNet's 1-channel 5×5 (long
    /// rows, few channels), All-CNN's padded stride-1 and stride-2 3×3 layers, ResNet's
    /// 4×4 planes (short rows, many channels) and a strided 1×1 projection.
    public static let unfoldings: [ConvShape] = [
        lenet5[0], lenet5[1], allCNN[1], allCNN[5], resnet10[7], resnet10[10],
    ]

    /// Square sgemm sizes measured as the machine's yardstick: 1024³ is the reference every
    /// "% of sgemm" divides by; 512³ is the size `imbench bench` reports.
    public static let yardstick = GemmShape(m: 1024, n: 1024, k: 1024)
    public static let squares: [GemmShape] = [GemmShape(m: 512, n: 512, k: 512), yardstick]

    /// The issue-5 target: forward of every All-CNN 3×3 layer with at least 96 input
    /// channels should reach 70% of the same run's sgemm.
    public static func isAllCNNTarget(_ s: ConvShape) -> Bool {
        s.network == "allcnn" && s.kernel == 3 && s.inputChannels >= 96
    }
}
