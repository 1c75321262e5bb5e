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

    /// Sizes every buffer for batches of up to `batch` images and reserves every layer for
    /// `batch`. Cheap when nothing changes.
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
            layer.reserve(for: shape)
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
        stages = Self.stages(of: layers)
    }

    /// One step of `forward` and `backward` as the network runs it: a layer, or a layer
    /// and the one after it fused into one pass (`FusingLayer`: a convolution and its max
    /// pooling). `imbench bench --layers` times these, so it times what training runs.
    public struct Stage {
        /// The layer run: `layers[range.lowerBound]` itself, or the fused layer.
        public let layer: Layer
        /// The layers of `Network.layers` it covers. It reads `activations[lowerBound]` and
        /// writes `activations[upperBound]`; a fused stage leaves the activations and
        /// gradients in between unwritten (nothing reads them: max pooling's backward
        /// needs only its argmax).
        public let range: Range<Int>
    }

    /// The stages of the batch last prepared, in forward order.
    public private(set) var stages: [Stage] = []

    private static func stages(of layers: [Layer]) -> [Stage] {
        var stages: [Stage] = []
        var i = 0
        while i < layers.count {
            if i + 1 < layers.count, let fusing = layers[i] as? FusingLayer,
               let fused = fusing.fused(with: layers[i + 1]) {
                stages.append(Stage(layer: fused, range: i..<(i + 2)))
                i += 2
                continue
            }
            stages.append(Stage(layer: layers[i], range: i..<(i + 1)))
            i += 1
        }
        return stages
    }

    /// Runs the layers on `input` (already written into `self.input`) and returns the output.
    @discardableResult
    public func forward(context: inout ForwardContext) -> Tensor {
        for s in stages.indices { forward(stage: s, context: &context) }
        return output
    }

    /// Runs stage `s` forward (after the stages before it).
    public func forward(stage s: Int, context: inout ForwardContext) {
        let stage = stages[s]
        stage.layer.forward(activations[stage.range.lowerBound],
                            into: activations[stage.range.upperBound], context: &context)
    }

    /// Index of the lowest layer with a trainable parameter, or nil if all are frozen.
    public var firstTrainableLayer: Int? {
        layers.firstIndex { $0.parameters.contains { $0.isTrainable } }
    }

    /// Back-propagates `outputGradient` (already written) down to the lowest trainable layer.
    public func backward() {
        guard let lowest = firstTrainableLayer else { return }
        for s in stages.indices.reversed() where stages[s].range.upperBound > lowest {
            backward(stage: s, lowest: lowest)
        }
    }

    /// Whether `backward()` runs stage `s` (it reaches the lowest trainable layer).
    public func backwardRuns(stage s: Int) -> Bool {
        guard let lowest = firstTrainableLayer else { return false }
        return stages[s].range.upperBound > lowest
    }

    /// Runs stage `s` backward as `backward()` does (after the stages above it): the input
    /// gradient only when a trainable layer lies below the stage.
    public func backward(stage s: Int) {
        guard let lowest = firstTrainableLayer else { return }
        backward(stage: s, lowest: lowest)
    }

    private func backward(stage s: Int, lowest: Int) {
        let stage = stages[s], first = stage.range.lowerBound, end = stage.range.upperBound
        stage.layer.backward(input: activations[first], output: activations[end],
                             outputGradient: gradients[end],
                             inputGradient: first > lowest ? gradients[first] : nil)
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
    /// Composite layers (residual blocks) count their inner convolutions. Pure: shape
    /// arithmetic only, whatever batch the network is prepared for.
    public var forwardMACsPerImage: Int {
        var shape = [1] + inputShape
        var macs = 0
        for layer in layers {
            if let counting = layer as? MACCounting {
                macs += counting.forwardMACs(inputShape: shape)
            }
            shape = layer.outputShape(for: shape)
        }
        return macs
    }
}
