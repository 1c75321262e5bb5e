import ImbalanceKernels
import ImbalanceRandom

/// Spatial batch normalisation (Ioffe & Szegedy, 2015) per channel of an (N, C, H, W)
/// input, with PyTorch's `BatchNorm2d` conventions so that its numbers can be compared:
///
/// - training: y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, with the batch's mean
///   and *biased* variance over the N*H*W values of each channel; then
///   running_mean <- (1 - momentum) * running_mean + momentum * mean_B and
///   running_var  <- (1 - momentum) * running_var  + momentum * var_B * M / (M - 1)
///   (the running variance is the *unbiased* one, M = N*H*W);
/// - inference (`context.training == false`): the same formula with the running averages.
///
/// gamma starts at 1 and beta at 0, and neither is weight-decayed (`decayMultiplier` 0):
/// decaying a scale that the next convolution can absorb only fights the optimiser.
///
/// When both gamma and beta are frozen the layer normalises with its running averages even
/// in training and leaves them untouched. Two-phase training's phase 2 freezes everything
/// below the fine-tuned layer: normalising with the statistics of phase 2's (imbalanced)
/// batches, or moving the running averages towards them, would change what the frozen
/// layers compute at test time, so phase 2 would no longer change only the fine-tuned layer.
///
/// Statistics are accumulated in Double: a float sum over the hundreds of thousands of
/// values of one channel in a batch loses digits the variance needs.
public final class BatchNorm: Layer {
    public let name: String
    public let channels: Int
    public let epsilon: Double
    public let momentum: Double
    public let gamma: Parameter
    public let beta: Parameter
    /// (C): what inference normalises with; updated by every training-mode forward pass.
    public let runningMean: Tensor
    /// (C): the running *unbiased* variance, as PyTorch keeps it.
    public let runningVariance: Tensor

    /// Per channel: the mean and 1/sqrt(var + eps) the last forward pass normalised with,
    /// and the two sums backward needs. Allocated once at construction.
    private let mean: UnsafeMutablePointer<Double>
    private let inverseStd: UnsafeMutablePointer<Double>
    private let sumA: UnsafeMutablePointer<Double>
    private let sumB: UnsafeMutablePointer<Double>
    private var usedBatchStatistics = false

    public init(name: String, channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1) {
        precondition(channels > 0, "\(name): a batch norm needs at least one channel")
        self.name = name; self.channels = channels
        self.epsilon = epsilon; self.momentum = momentum
        gamma = Parameter(name: "\(name).gamma", shape: [channels], decayMultiplier: 0)
        beta = Parameter(name: "\(name).beta", shape: [channels], decayMultiplier: 0)
        runningMean = Tensor(shape: [channels])
        runningVariance = Tensor(shape: [channels])
        mean = .allocate(capacity: channels)
        inverseStd = .allocate(capacity: channels)
        sumA = .allocate(capacity: channels)
        sumB = .allocate(capacity: channels)
        mean.initialize(repeating: 0, count: channels)
        inverseStd.initialize(repeating: 1, count: channels)
        sumA.initialize(repeating: 0, count: channels)
        sumB.initialize(repeating: 0, count: channels)
        resetState()
    }

    deinit {
        mean.deallocate(); inverseStd.deallocate(); sumA.deallocate(); sumB.deallocate()
    }

    public var parameters: [Parameter] { [gamma, beta] }

    /// True when the layer normalises with its running averages during training too.
    public var isFrozen: Bool { !gamma.isTrainable && !beta.isTrainable }

    /// No random numbers: BN starts as the identity on normalised data, whatever the seed.
    public func initialize(using rng: inout RandomStream) { resetState() }

    private func resetState() {
        gamma.value.buffer.update(repeating: 1)
        beta.value.zero()
        runningMean.zero()
        runningVariance.buffer.update(repeating: 1)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[1] == channels,
                     "\(name): expected (N, \(channels), H, W), got \(input)")
        return input
    }

    public func forward(_ input: Tensor, into output: Tensor, context: inout ForwardContext) {
        let n = input.shape[0], plane = input.shape[2] * input.shape[3]
        let count = n * plane
        let c = channels
        let x = input.pointer, y = output.pointer
        usedBatchStatistics = context.training && !isFrozen
        if usedBatchStatistics {
            precondition(count > 1, "\(name): batch statistics need more than one value per "
                         + "channel in training (got N*H*W = \(count)), as in PyTorch")
            sumA.update(repeating: 0, count: c)
            sumB.update(repeating: 0, count: c)
            // Channels split across workers; each channel sums its images in order, so
            // the split changes no bit.
            let sumA = self.sumA, sumB = self.sumB
            Parallel.forEachRange(c, pieces: channelPieces(count)) { channels in
                for i in 0..<n {
                    for ch in channels {
                        let (s, q) = sumAndSquares(x + (i * c + ch) * plane, plane)
                        sumA[ch] += s; sumB[ch] += q
                    }
                }
            }
            let m = Double(count)
            let rm = runningMean.pointer, rv = runningVariance.pointer
            for ch in 0..<c {
                let mu = sumA[ch] / m
                let variance = max(sumB[ch] / m - mu * mu, 0)
                mean[ch] = mu
                inverseStd[ch] = 1 / (variance + epsilon).squareRoot()
                rm[ch] = Float((1 - momentum) * Double(rm[ch]) + momentum * mu)
                rv[ch] = Float((1 - momentum) * Double(rv[ch])
                               + momentum * variance * m / (m - 1))
            }
        } else {
            let rm = runningMean.pointer, rv = runningVariance.pointer
            for ch in 0..<c {
                mean[ch] = Double(rm[ch])
                inverseStd[ch] = 1 / (Double(rv[ch]) + epsilon).squareRoot()
            }
        }
        let g = gamma.value.pointer, b = beta.value.pointer
        let mean = self.mean, inverseStd = self.inverseStd
        Parallel.forEachRange(c, pieces: channelPieces(count)) { channels in
            for i in 0..<n {
                for ch in channels {
                    let offset = (i * c + ch) * plane
                    let src = x + offset, dst = y + offset
                    let mu = Float(mean[ch]), scale = Float(Double(g[ch]) * inverseStd[ch])
                    let shift = b[ch]
                    // (x - mean) first: exact for nearby values, where scale * x + shift would
                    // cancel catastrophically when |mean| >> std.
                    for p in 0..<plane { dst[p] = (src[p] - mu) * scale + shift }
                }
            }
        }
    }

    /// Pieces for a pass over `count` values per channel: up to one per worker.
    private func channelPieces(_ count: Int) -> Int {
        min(channels, Parallel.pieces(forElements: count * channels))
    }

    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor,
                         inputGradient: Tensor?) {
        let needGamma = gamma.isTrainable, needBeta = beta.isTrainable
        guard inputGradient != nil || needGamma || needBeta else { return }
        let n = input.shape[0], plane = input.shape[2] * input.shape[3]
        let c = channels
        let x = input.pointer, dy = outputGradient.pointer
        // sumA = sum(dy), sumB = sum(dy * (x - mean)) per channel.
        sumA.update(repeating: 0, count: c)
        sumB.update(repeating: 0, count: c)
        let sumA = self.sumA, sumB = self.sumB, mean = self.mean, inverseStd = self.inverseStd
        Parallel.forEachRange(c, pieces: channelPieces(n * plane)) { channels in
            for i in 0..<n {
                for ch in channels {
                    let offset = (i * c + ch) * plane
                    let (s, q) = sumAndCentredProduct(dy + offset, x + offset, Float(mean[ch]),
                                                      plane)
                    sumA[ch] += s; sumB[ch] += q
                }
            }
        }
        if needGamma {
            let dg = gamma.gradient.pointer
            for ch in 0..<c { dg[ch] = Float(sumB[ch] * inverseStd[ch]) }
        }
        if needBeta {
            let db = beta.gradient.pointer
            for ch in 0..<c { db[ch] = Float(sumA[ch]) }
        }
        guard let dX = inputGradient else { return }
        let dx = dX.pointer, g = gamma.value.pointer
        let m = Double(n * plane)
        for ch in 0..<c {
            // dx = a * dy + b * (x - mean) + k. With batch statistics the mean and variance
            // depend on x too, which adds the b and k terms (zero with running averages).
            let a = Double(g[ch]) * inverseStd[ch]
            if usedBatchStatistics {
                sumB[ch] = -a * inverseStd[ch] * inverseStd[ch] * sumB[ch] / m
                sumA[ch] = -a * sumA[ch] / m
            } else {
                sumB[ch] = 0; sumA[ch] = 0
            }
        }
        Parallel.forEachRange(c, pieces: channelPieces(n * plane)) { channels in
            for i in 0..<n {
                for ch in channels {
                    let offset = (i * c + ch) * plane
                    let a = Float(Double(g[ch]) * inverseStd[ch]), b = Float(sumB[ch])
                    let k = Float(sumA[ch]), mu = Float(mean[ch])
                    let src = dy + offset, xs = x + offset, dst = dx + offset
                    for p in 0..<plane { dst[p] = a * src[p] + (b * (xs[p] - mu) + k) }
                }
            }
        }
    }
}

/// sum(x) and sum(x^2) in Double over `count` floats, eight lanes at a time. Products of two
/// floats are exact in Double, so only the additions round.
@inline(__always)
func sumAndSquares(_ x: UnsafePointer<Float>, _ count: Int) -> (Double, Double) {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
    var q0 = SIMD4<Double>(), q1 = SIMD4<Double>()
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let lo = SIMD4<Double>(v.lowHalf), hi = SIMD4<Double>(v.highHalf)
        s0 += lo; s1 += hi
        q0 += lo * lo; q1 += hi * hi
        i += 8
    }
    var s = (s0 + s1).sum(), q = (q0 + q1).sum()
    while i < count {
        let v = Double(x[i])
        s += v; q += v * v
        i += 1
    }
    return (s, q)
}

/// sum(dy) and sum(dy * (x - mean)) in Double over `count` values, eight lanes at a time.
@inline(__always)
func sumAndCentredProduct(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mean: Float,
                          _ count: Int) -> (Double, Double) {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
    var q0 = SIMD4<Double>(), q1 = SIMD4<Double>()
    var i = 0
    let rawG = UnsafeRawPointer(dy), rawX = UnsafeRawPointer(x)
    let mu = SIMD8<Float>(repeating: mean)
    while i + 8 <= count {
        let g = rawG.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let xc = rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mu
        let glo = SIMD4<Double>(g.lowHalf), ghi = SIMD4<Double>(g.highHalf)
        s0 += glo; s1 += ghi
        q0 += glo * SIMD4<Double>(xc.lowHalf); q1 += ghi * SIMD4<Double>(xc.highHalf)
        i += 8
    }
    var s = (s0 + s1).sum(), q = (q0 + q1).sum()
    while i < count {
        let g = Double(dy[i])
        s += g; q += g * Double(x[i] - mean)
        i += 1
    }
    return (s, q)
}
