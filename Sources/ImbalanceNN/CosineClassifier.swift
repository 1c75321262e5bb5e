import ImbalanceKernels
import ImbalanceRandom

/// A cosine classifier (the LDAM-DRW reference code's `NormedLinear`): logits are the
/// cosines between the input feature vector and each class's weight vector,
///
///     out_ij = <x_i / |x_i|, w_j / |w_j|>,   x (N, D), weights (K, D), out (N, K),
///
/// so every logit lies in [-1, 1] and a loss can scale them by a fixed s (LDAM's s = 30).
/// No bias. Norms below 1e-12 are clamped to 1e-12, as PyTorch's `F.normalize`.
///
/// Initialised as the reference: each weight U(-1, 1), then each class vector scaled to
/// unit length. Backward through each normalisation v -> v/|v| is
/// dv = (dv^ - v^ <v^, dv^>) / |v|.
public final class CosineClassifier: Layer, MACCounting {
    public let name: String
    public let inputs: Int
    public let outputs: Int
    public let weight: Parameter
    static let epsilon = 1e-12

    /// Normalised inputs (N, D) and weights (K, D) of the last forward pass, and the norms
    /// (clamped) they were divided by.
    private var xHat = Tensor(shape: [0])
    private var inputNorms = Tensor(shape: [0])
    private let wHat: Tensor
    private let weightNorms: Tensor

    public init(name: String, inputs: Int, outputs: Int) {
        self.name = name; self.inputs = inputs; self.outputs = outputs
        weight = Parameter(name: "\(name).weight", shape: [outputs, inputs])
        wHat = Tensor(shape: [outputs, inputs])
        weightNorms = Tensor(shape: [outputs])
    }

    public var parameters: [Parameter] { [weight] }

    public func initialize(using rng: inout RandomStream) {
        let w = weight.value
        for i in 0..<w.count { w[i] = 2 * rng.uniformFloat() - 1 }
        for j in 0..<outputs {
            let row = w.pointer + j * inputs
            let n = Float(Self.norm(row, inputs))
            for d in 0..<inputs { row[d] /= n }
        }
    }

    public func forwardMACs(inputShape: [Int]) -> Int { inputShape[0] * inputs * outputs }

    public func outputShape(for input: [Int]) -> [Int] {
        let d = input.dropFirst().reduce(1, *)
        precondition(d == inputs, "\(name): expected \(inputs) inputs per example, got \(input)")
        let n = input[0]
        if xHat.capacity < n * inputs { xHat = Tensor(shape: [n * inputs]) }
        if inputNorms.capacity < n { inputNorms = Tensor(shape: [n]) }
        return [n, outputs]
    }

    static func norm(_ v: UnsafePointer<Float>, _ count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += Double(v[i]) * Double(v[i]) }
        return max(s.squareRoot(), epsilon)
    }

    /// Writes v / |v| (clamped) for each of `rows` rows of `cols` and returns the norms.
    private static func normalize(_ v: UnsafePointer<Float>, rows: Int, cols: Int,
                                  into out: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let n = norm(v + r * cols, cols)
            norms[r] = Float(n)
            let inv = 1 / n
            for c in 0..<cols { out[r * cols + c] = Float(Double(v[r * cols + c]) * inv) }
        }
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let n = input.shape[0]
        Self.normalize(input.pointer, rows: n, cols: inputs, into: xHat.pointer, norms: inputNorms.pointer)
        Self.normalize(weight.value.pointer, rows: outputs, cols: inputs, into: wHat.pointer,
                       norms: weightNorms.pointer)
        BLAS.sgemm(transA: false, transB: true, m: n, n: outputs, k: inputs, alpha: 1,
                   a: xHat.pointer, lda: inputs, b: wHat.pointer, ldb: inputs,
                   beta: 0, c: output.pointer, ldc: outputs)
    }

    /// dv = (dv^ - v^ <v^, dv^>) / |v| in place on `g` (rows of `cols`), v^ in `hat`.
    private static func projectOut(_ g: UnsafeMutablePointer<Float>, hat: UnsafePointer<Float>,
                                   norms: UnsafePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let gr = g + r * cols, hr = hat + r * cols
            var dot = 0.0
            for c in 0..<cols { dot += Double(gr[c]) * Double(hr[c]) }
            let inv = 1 / Double(norms[r])
            for c in 0..<cols { gr[c] = Float((Double(gr[c]) - Double(hr[c]) * dot) * inv) }
        }
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        let n = input.shape[0]
        let dy = outputGradient.pointer
        if weight.isTrainable {
            // dW^ (K, D) = dY^T (K, N) * X^ (N, D), then through the normalisation.
            let dw = weight.gradient.pointer
            BLAS.sgemm(transA: true, transB: false, m: outputs, n: inputs, k: n, alpha: 1,
                       a: dy, lda: outputs, b: xHat.pointer, ldb: inputs,
                       beta: 0, c: dw, ldc: inputs)
            Self.projectOut(dw, hat: wHat.pointer, norms: weightNorms.pointer, rows: outputs, cols: inputs)
        }
        if let dX = inputGradient {
            // dX^ (N, D) = dY (N, K) * W^ (K, D), then through the normalisation.
            let dx = dX.pointer
            BLAS.sgemm(transA: false, transB: false, m: n, n: inputs, k: outputs, alpha: 1,
                       a: dy, lda: outputs, b: wHat.pointer, ldb: inputs,
                       beta: 0, c: dx, ldc: inputs)
            Self.projectOut(dx, hat: xHat.pointer, norms: inputNorms.pointer, rows: n, cols: inputs)
        }
    }
}
