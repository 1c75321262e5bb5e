/// Naive references, written from the definitions and accumulated in Double, that every
/// kernel and every variant of the engine's convolution is checked against: by the main test
/// suite (`scripts/test`) and, before it times anything, by the kernel benchmarks
/// (Benchmarks/, which depends on this target).
///
/// They share no code with the engine (no im2col, no GEMM, no chunking, not even its shape
/// arithmetic), so a bug in the engine's unfolding, chunk bookkeeping or GEMM arguments
/// cannot hide in the reference too. Layouts: images (N, C, H, W), weights (F, C, K, K),
/// all row-major.
public enum Reference {
    /// A convolution's dimensions: C input channels, F filters, a K x K kernel, stride s
    /// and zero padding p on every side, H x W images. Output H' = (H + 2p - K) / s + 1
    /// (floor), likewise W'.
    public struct ConvolutionShape: Sendable, Hashable {
        public let inputChannels: Int
        public let filters: Int
        public let kernel: Int
        public let stride: Int
        public let padding: Int
        public let height: Int
        public let width: Int

        public init(inputChannels: Int, filters: Int, kernel: Int, stride: Int = 1,
                    padding: Int = 0, height: Int, width: Int) {
            precondition(height + 2 * padding >= kernel && width + 2 * padding >= kernel,
                         "kernel larger than the padded input")
            self.inputChannels = inputChannels; self.filters = filters; self.kernel = kernel
            self.stride = stride; self.padding = padding; self.height = height
            self.width = width
        }

        public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
        public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
        public var outPlane: Int { outHeight * outWidth }
        /// Rows of the column matrix: C * K * K.
        public var patchSize: Int { inputChannels * kernel * kernel }
    }

    /// A max pooling without padding over `batch` images of C x H x W, with Caffe's ceil
    /// rule: windows that start inside the image count, clipped at its edge.
    public struct PoolShape: Sendable, Hashable {
        public let batch: Int
        public let channels: Int
        public let height: Int
        public let width: Int
        public let kernel: Int
        public let stride: Int

        public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int,
                    stride: Int) {
            self.batch = batch; self.channels = channels; self.height = height
            self.width = width; self.kernel = kernel; self.stride = stride
        }

        public var outHeight: Int { (height - kernel + stride - 1) / stride + 1 }
        public var outWidth: Int { (width - kernel + stride - 1) / stride + 1 }
        public var inputCount: Int { batch * channels * height * width }
        public var outputCount: Int { batch * channels * outHeight * outWidth }
    }

    /// One row-major GEMM, C (m x n) = op(A) (m x k) * op(B) (k x n).
    public struct GemmShape: Sendable, Hashable, Codable {
        public let m: Int
        public let n: Int
        public let k: Int
        public let transA: Bool
        public let transB: Bool

        public init(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
            self.m = m; self.n = n; self.k = k; self.transA = transA; self.transB = transB
        }
    }

    /// y[n,f,oh,ow] = b[f] + Σ_{c,kh,kw} w[f,c,kh,kw] · x[n,c,oh·s−p+kh,ow·s−p+kw]
    /// (zero outside the image): the direct 7-loop convolution.
    /// Without a bias (`b` nil) the sum starts at 0.
    public static func convolutionForward(_ s: ConvolutionShape, batch: Int,
                                          x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                          b: UnsafePointer<Float>?) -> [Double] {
        let (c, h, wd, k) = (s.inputChannels, s.height, s.width, s.kernel)
        let (oh, ow) = (s.outHeight, s.outWidth)
        var y = [Double](repeating: 0, count: batch * s.filters * oh * ow)
        y.withUnsafeMutableBufferPointer { y in
            for n in 0..<batch {
                for f in 0..<s.filters {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var acc = b.map { Double($0[f]) } ?? 0
                            for ci in 0..<c {
                                for ky in 0..<k {
                                    let iy = oy * s.stride - s.padding + ky
                                    if iy < 0 || iy >= h { continue }
                                    for kx in 0..<k {
                                        let ix = ox * s.stride - s.padding + kx
                                        if ix < 0 || ix >= wd { continue }
                                        acc += Double(w[((f * c + ci) * k + ky) * k + kx])
                                            * Double(x[((n * c + ci) * h + iy) * wd + ix])
                                    }
                                }
                            }
                            y[((n * s.filters + f) * oh + oy) * ow + ox] = acc
                        }
                    }
                }
            }
        }
        return y
    }

    /// dx[n,c,iy,ix] = Σ over every (f, oy, ox, ky, kx) whose window reads (iy, ix) of
    /// dy[n,f,oy,ox] · w[f,c,ky,kx]: the forward sum's derivative, scattered term by term.
    public static func convolutionInputGradient(_ s: ConvolutionShape, batch: Int,
                                                dy: UnsafePointer<Float>,
                                                w: UnsafePointer<Float>) -> [Double] {
        let (c, h, wd, k) = (s.inputChannels, s.height, s.width, s.kernel)
        let (oh, ow) = (s.outHeight, s.outWidth)
        var dx = [Double](repeating: 0, count: batch * c * h * wd)
        dx.withUnsafeMutableBufferPointer { dx in
            for n in 0..<batch {
                for f in 0..<s.filters {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let g = Double(dy[((n * s.filters + f) * oh + oy) * ow + ox])
                            for ci in 0..<c {
                                for ky in 0..<k {
                                    let iy = oy * s.stride - s.padding + ky
                                    if iy < 0 || iy >= h { continue }
                                    for kx in 0..<k {
                                        let ix = ox * s.stride - s.padding + kx
                                        if ix < 0 || ix >= wd { continue }
                                        dx[((n * c + ci) * h + iy) * wd + ix] +=
                                            g * Double(w[((f * c + ci) * k + ky) * k + kx])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// dw[f,c,ky,kx] = Σ_{n,oy,ox} dy[n,f,oy,ox] · x[n,c,oy·s−p+ky,ox·s−p+kx] and
    /// db[f] = Σ_{n,oy,ox} dy[n,f,oy,ox].
    public static func convolutionWeightGradient(_ s: ConvolutionShape, batch: Int,
                                                 x: UnsafePointer<Float>,
                                                 dy: UnsafePointer<Float>)
        -> (weight: [Double], bias: [Double]) {
        let (c, h, wd, k) = (s.inputChannels, s.height, s.width, s.kernel)
        let (oh, ow) = (s.outHeight, s.outWidth)
        var dw = [Double](repeating: 0, count: s.filters * c * k * k)
        var db = [Double](repeating: 0, count: s.filters)
        dw.withUnsafeMutableBufferPointer { dw in
            for n in 0..<batch {
                for f in 0..<s.filters {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let g = Double(dy[((n * s.filters + f) * oh + oy) * ow + ox])
                            db[f] += g
                            for ci in 0..<c {
                                for ky in 0..<k {
                                    let iy = oy * s.stride - s.padding + ky
                                    if iy < 0 || iy >= h { continue }
                                    for kx in 0..<k {
                                        let ix = ox * s.stride - s.padding + kx
                                        if ix < 0 || ix >= wd { continue }
                                        dw[((f * c + ci) * k + ky) * k + kx] +=
                                            g * Double(x[((n * c + ci) * h + iy) * wd + ix])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dw, db)
    }

    /// Max pooling by scanning each window in row-major order; the first maximum wins
    /// (Caffe's rule), and the backward pass routes each output gradient to it.
    public static func maxPool(_ s: PoolShape, x: UnsafePointer<Float>, dy: UnsafePointer<Float>)
        -> (output: [Double], inputGradient: [Double]) {
        let (oh, ow) = (s.outHeight, s.outWidth)
        var y = [Double](repeating: 0, count: s.outputCount)
        var dx = [Double](repeating: 0, count: s.inputCount)
        for plane in 0..<(s.batch * s.channels) {
            let base = plane * s.height * s.width
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Double.infinity
                    var at = -1
                    for ky in 0..<s.kernel {
                        let iy = oy * s.stride + ky
                        if iy >= s.height { continue }
                        for kx in 0..<s.kernel {
                            let ix = ox * s.stride + kx
                            if ix >= s.width { continue }
                            let v = Double(x[base + iy * s.width + ix])
                            if v > best { best = v; at = base + iy * s.width + ix }
                        }
                    }
                    let o = (plane * oh + oy) * ow + ox
                    y[o] = best
                    dx[at] += Double(dy[o])
                }
            }
        }
        return (y, dx)
    }

    /// The column matrix of one image from its definition: row (c·K + ky)·K + kx, column
    /// oy·OW + ox holds x[c, oy·s−p+ky, ox·s−p+kx], or 0 in the padding.
    public static func im2col(_ s: ConvolutionShape, image: UnsafePointer<Float>) -> [Double] {
        let (oh, ow, k) = (s.outHeight, s.outWidth, s.kernel)
        var col = [Double](repeating: 0, count: s.patchSize * s.outPlane)
        for ci in 0..<s.inputChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = (ci * k + ky) * k + kx
                    for oy in 0..<oh {
                        let iy = oy * s.stride - s.padding + ky
                        for ox in 0..<ow {
                            let ix = ox * s.stride - s.padding + kx
                            if iy >= 0 && iy < s.height && ix >= 0 && ix < s.width {
                                col[row * s.outPlane + oy * ow + ox] =
                                    Double(image[(ci * s.height + iy) * s.width + ix])
                            }
                        }
                    }
                }
            }
        }
        return col
    }

    /// The adjoint of `im2col`: every column entry added back into the input position it
    /// was read from.
    public static func col2im(_ s: ConvolutionShape, column: UnsafePointer<Float>) -> [Double] {
        let (oh, ow, k) = (s.outHeight, s.outWidth, s.kernel)
        var image = [Double](repeating: 0, count: s.inputChannels * s.height * s.width)
        for ci in 0..<s.inputChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = (ci * k + ky) * k + kx
                    for oy in 0..<oh {
                        let iy = oy * s.stride - s.padding + ky
                        for ox in 0..<ow {
                            let ix = ox * s.stride - s.padding + kx
                            if iy >= 0 && iy < s.height && ix >= 0 && ix < s.width {
                                image[(ci * s.height + iy) * s.width + ix] +=
                                    Double(column[row * s.outPlane + oy * ow + ox])
                            }
                        }
                    }
                }
            }
        }
        return image
    }

    /// One entry of C = op(A)·op(B) in Double, with A, B stored row-major as the BLAS call
    /// received them (A is m×k, or k×m when transposed; likewise B).
    public static func gemmEntry(_ g: GemmShape, a: UnsafePointer<Float>, lda: Int,
                                 b: UnsafePointer<Float>, ldb: Int, row i: Int, column j: Int)
        -> Double {
        var acc = 0.0
        for p in 0..<g.k {
            let av = g.transA ? a[p * lda + i] : a[i * lda + p]
            let bv = g.transB ? b[j * ldb + p] : b[p * ldb + j]
            acc += Double(av) * Double(bv)
        }
        return acc
    }

    /// max_i |got_i − want_i| / max_i |want_i|: the error relative to the result's scale.
    /// Dividing each element by its own magnitude instead would blow up on the entries that
    /// cancel to nearly zero, which say nothing about the kernel.
    public static func relativeError(_ got: UnsafePointer<Float>, _ want: [Double]) -> Double {
        var scale = 0.0, worst = 0.0
        for i in want.indices {
            let g = Double(got[i])
            // max() would silently drop a NaN, the one result that must never pass.
            if !g.isFinite { return .infinity }
            scale = max(scale, abs(want[i]))
            worst = max(worst, abs(g - want[i]))
        }
        if scale == 0 { return worst }
        return worst / scale
    }
}
