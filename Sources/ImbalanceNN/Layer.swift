import ImbalanceRandom

/// The one contract every layer follows (as Caffe's `Layer`): `outputShape(for:)` is pure
/// shape arithmetic, `reserve(for:)` sets the layer up for an input shape (plans, scratch
/// buffers), `forward` maps input to output, and `backward` maps the output gradient to
/// parameter gradients and, only when asked, to the input gradient.
///
/// Layers own their scratch buffers and only grow them, so that steady-state training
/// (and a smaller last batch) allocates nothing. `forward` and `backward` run on the shape
/// last reserved.
public protocol Layer: AnyObject {
    var name: String { get }
    var parameters: [Parameter] { get }
    /// Output shape for an input shape (N first). Pure: sizes nothing, plans nothing, so
    /// that work counts and shape checks may ask for any shape at any time.
    func outputShape(for input: [Int]) -> [Int]
    /// Prepares forward and backward for inputs of this shape (N first): plans, and grows
    /// the layer's buffers. Layers without either need not implement it.
    func reserve(for input: [Int])
    func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext)
    /// Writes the gradients of trainable parameters (overwriting) and, when
    /// `inputGradient` is non-nil, the gradient with respect to the input (overwriting).
    /// Frozen parameters' gradients are left as they were.
    func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                  inputGradient: Tensor?)
    /// Initialises parameters (Xavier, MSRA, zeros...) from an explicit stream.
    func initialize(using rng: inout RandomStream)
}

/// A layer that can run the layer after it in the same pass (a convolution and the max
/// pooling after it, `ConvolutionPooling`). `Network` asks after `reserve(for:)`, since the
/// answer may depend on the shape reserved, and runs the fused layer as one stage.
public protocol FusingLayer: Layer {
    /// One layer doing this layer's and `next`'s work (input: this layer's input, output:
    /// `next`'s output), for the shapes both last reserved; nil when they cannot be fused.
    func fused(with next: Layer) -> Layer?
}

/// What a forward pass may depend on besides its input: training vs inference, and the
/// dropout stream (kept separate from every other random stream).
public struct ForwardContext {
    public var training: Bool
    public var dropoutRNG: RandomStream
    public init(training: Bool, dropoutRNG: RandomStream) {
        self.training = training; self.dropoutRNG = dropoutRNG
    }
}

public extension Layer {
    var parameters: [Parameter] { [] }
    func reserve(for input: [Int]) {}
    func initialize(using rng: inout RandomStream) {}
}

/// A layer that can say how much arithmetic its forward pass does, so that throughput
/// reports count the work inside composite layers (a residual block's convolutions) too.
public protocol MACCounting {
    /// Multiply-accumulates of one forward pass over a batch of shape `inputShape`
    /// (N first). Pure arithmetic on shapes: sizes no buffer.
    func forwardMACs(inputShape: [Int]) -> Int
}

/// Which filler a weight tensor starts from. Xavier is what Caffe's LeNet and All-CNN
/// prototxts use; MSRA (He et al.) is what residual networks need so that the variance of
/// activations survives many ReLU layers.
public enum WeightInitialization: String, Sendable, Codable {
    case xavier
    case msra

    public func fill(_ t: Tensor, fanIn: Int, rng: inout RandomStream) {
        switch self {
        case .xavier: Initializer.xavierUniform(t, fanIn: fanIn, rng: &rng)
        case .msra: Initializer.msraNormal(t, fanIn: fanIn, rng: &rng)
        }
    }
}

/// Weight initialisers, as Caffe's fillers.
public enum Initializer {
    /// Caffe's "xavier" filler: U(-a, a) with a = sqrt(3 / fan_in), where
    /// fan_in = count / num_output.
    public static func xavierUniform(_ t: Tensor, fanIn: Int, rng: inout RandomStream) {
        let a = Float((3.0 / Double(fanIn)).squareRoot())
        for i in 0..<t.count { t[i] = (2 * rng.uniformFloat() - 1) * a }
    }

    /// Caffe's "msra" filler (He et al.): N(0, 2 / fan_in) by Box-Muller on the stream.
    public static func msraNormal(_ t: Tensor, fanIn: Int, rng: inout RandomStream) {
        let std = (2.0 / Double(fanIn)).squareRoot()
        var i = 0
        while i < t.count {
            let u1 = max(rng.uniformDouble(), 1e-300), u2 = rng.uniformDouble()
            let r = (-2 * _log(u1)).squareRoot()
            t[i] = Float(r * _cos(2 * Double.pi * u2) * std)
            if i + 1 < t.count { t[i + 1] = Float(r * _sin(2 * Double.pi * u2) * std) }
            i += 2
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Foundation.sin(x) }
#endif
