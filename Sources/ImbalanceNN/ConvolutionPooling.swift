import ImbalanceRandom

/// A convolution and the max pooling after it as one layer, run image by image: each
/// image's convolution output goes through a per-worker buffer straight into the pooling,
/// and in backward the pooling's input gradient straight into the convolution's, instead of
/// each making a round trip through memory (2.9 MB per batch for LeNet-5's conv1).
///
/// Input (N, C, H, W) -> pooled output (N, F, PH, PW). The same arithmetic in the same order
/// as the two layers one after the other, so the same bits. `Network` builds one where
/// `Convolution.fused(with:)` allows it (its plan's `fusesPooling`), and runs and times it as
/// one stage; the two layers stay in `Network.layers` (names, parameters, freezing).
public final class ConvolutionPooling: Layer, MACCounting {
    public let convolution: Convolution
    public let pooling: MaxPool
    public let name: String

    public init(_ convolution: Convolution, _ pooling: MaxPool) {
        self.convolution = convolution; self.pooling = pooling
        name = "\(convolution.name)+\(pooling.name)"
    }

    public var parameters: [Parameter] { convolution.parameters }

    public func initialize(using rng: inout RandomStream) { convolution.initialize(using: &rng) }

    public func forwardMACs(inputShape: [Int]) -> Int {
        convolution.forwardMACs(inputShape: inputShape)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        pooling.outputShape(for: convolution.outputShape(for: input))
    }

    public func reserve(for input: [Int]) {
        convolution.reserve(for: input)
        pooling.reserve(for: convolution.outputShape(for: input))
        precondition(convolution.plan?.fusesPooling == true,
                     "\(name): the convolution's plan does not fuse pooling (\(convolution.plan!))")
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        convolution.forward(input, pooledBy: pooling, into: output)
    }

    /// `output` is the pooled output, `outputGradient` its gradient; the convolution's own
    /// output and output gradient are never stored.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        convolution.backward(input: input, pooledBy: pooling, pooledGradient: outputGradient,
                             inputGradient: inputGradient)
    }
}
