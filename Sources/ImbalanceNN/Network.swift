import ImbalanceRandom

/// A feed-forward chain of layers with every activation and gradient buffer allocated once
/// per batch size and reused for every step.
///
/// Backward stops at the first layer that has a trainable parameter: layers below it
/// (all of them, in two-phase training's phase 2) get no gradient computed at all, and the
/// input gradient of the network itself is never computed.
public final class Network {
    public let name: String
    public let layers: [Layer]
    public let inputShape: [Int]   // (C, H, W)
    public private(set) var activations: [Tensor] = []   // activations[0] is the input
    public private(set) var gradients: [Tensor] = []     // gradients[i] is dL/d activations[i]
    private var batchCapacity = 0

    public init(name: String, inputShape: [Int], layers: [Layer]) {
        self.name = name; self.inputShape = inputShape; self.layers = layers
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var input: Tensor { activations[0] }
    public var output: Tensor { activations[activations.count - 1] }
    public var outputGradient: Tensor { gradients[gradients.count - 1] }

    public func initialize(using rng: inout RandomStream) {
        for layer in layers { layer.initialize(using: &rng) }
    }

    /// Sizes every buffer for batches of up to `batch` images. Cheap when nothing changes.
    public func prepare(batch: Int) {
        if batch <= batchCapacity {
            if activations[0].shape[0] != batch { setShapes(batch: batch, allocate: false) }
            return
        }
        batchCapacity = batch
        setShapes(batch: batch, allocate: true)
    }

    private func setShapes(batch: Int, allocate: Bool) {
        var shape = [batch] + inputShape
        var shapes = [shape]
        for layer in layers {
            shape = layer.outputShape(for: shape)
            shapes.append(shape)
        }
        if allocate {
            activations = shapes.map { Tensor(shape: $0) }
            gradients = shapes.map { Tensor(shape: $0) }
        } else {
            for (i, s) in shapes.enumerated() {
                activations[i].reshape(s); gradients[i].reshape(s)
            }
        }
    }

    /// Runs the layers on `input` (already written into `self.input`) and returns the output.
    @discardableResult
    public func forward(context: inout ForwardContext) -> Tensor {
        var i = 0
        while i < layers.count {
            if let (conv, pool) = fusedPair(at: i) {
                conv.forward(activations[i], pooledBy: pool, into: activations[i + 2])
                i += 2
                continue
            }
            layers[i].forward(activations[i], into: activations[i + 1], context: &context)
            i += 1
        }
        return output
    }

    /// Whether a convolution followed by max pooling runs as one pass, image by image:
    /// the convolution's output then goes through a per-worker buffer straight into the
    /// pooling, and in backward the pooling's input gradient straight into the
    /// convolution's, instead of each making a round trip through memory (2.9 MB per batch
    /// for LeNet-5's conv1). The same arithmetic in the same order, so the same bits;
    /// `activations` and `gradients` of the convolution's output are then left unwritten
    /// (nothing reads them: max pooling's backward needs only its argmax).
    public var fusesConvolutionPooling = true

    /// The convolution and pooling at `i` and `i + 1` when they run fused.
    private func fusedPair(at i: Int) -> (Convolution, MaxPool)? {
        guard fusesConvolutionPooling, i + 1 < layers.count,
              let conv = layers[i] as? Convolution, let pool = layers[i + 1] as? MaxPool,
              conv.canFusePooling(images: activations[i].shape[0]) else { return nil }
        return (conv, pool)
    }

    /// Index of the lowest layer with a trainable parameter, or nil if all are frozen.
    public var firstTrainableLayer: Int? {
        layers.firstIndex { $0.parameters.contains { $0.isTrainable } }
    }

    /// Back-propagates `outputGradient` (already written) down to the lowest trainable layer.
    public func backward() {
        guard let lowest = firstTrainableLayer else { return }
        var i = layers.count - 1
        while i >= lowest {
            if i >= 1, i - 1 >= lowest, let (conv, pool) = fusedPair(at: i - 1) {
                conv.backward(input: activations[i - 1], pooledBy: pool,
                              pooledGradient: gradients[i + 1],
                              inputGradient: i - 1 > lowest ? gradients[i - 1] : nil)
                i -= 2
                continue
            }
            layers[i].backward(input: activations[i], output: activations[i + 1],
                               outputGradient: gradients[i + 1],
                               inputGradient: i > lowest ? gradients[i] : nil)
            i -= 1
        }
    }

    /// Freezes every parameter except those of the named layers (two-phase training).
    public func freezeAll(except trainable: Set<String>) {
        for layer in layers {
            for p in layer.parameters { p.isTrainable = trainable.contains(layer.name) }
        }
    }

    public func unfreezeAll() {
        for p in parameters { p.isTrainable = true }
    }

    /// Every convolution, including those inside residual blocks, for tuning knobs
    /// (column budget, Winograd) that benchmarks switch across the whole network.
    public var convolutions: [Convolution] {
        layers.flatMap { layer -> [Convolution] in
            if let conv = layer as? Convolution { return [conv] }
            if let block = layer as? ResidualBlock {
                return [block.conv1, block.conv2] + (block.shortcut.map { [$0] } ?? [])
            }
            return []
        }
    }

    /// Multiply-accumulates of one forward pass for one image, for throughput reports.
    /// Composite layers (residual blocks) count their inner convolutions.
    public var forwardMACsPerImage: Int {
        var shape = [1] + inputShape
        var macs = 0
        for layer in layers {
            if let counting = layer as? MACCounting {
                macs += counting.forwardMACs(inputShape: shape)
            }
            shape = layer.outputShape(for: shape)
        }
        if batchCapacity > 0 { setShapes(batch: activations[0].shape[0], allocate: false) }
        return macs
    }
}
