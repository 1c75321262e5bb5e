/// Geometry of a 2-D convolution or pooling window over one image.
///
/// Output size follows Caffe: out = (in + 2*pad - kernel) / stride + 1 for convolution
/// (floor); pooling uses its own ceil rule (see `PoolGeometry`).
public struct ConvGeometry: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernelH: Int
    public let kernelW: Int
    public let strideH: Int
    public let strideW: Int
    public let padH: Int
    public let padW: Int

    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int = 1,
                pad: Int = 0) {
        self.init(channels: channels, height: height, width: width, kernelH: kernel,
                  kernelW: kernel, strideH: stride, strideW: stride, padH: pad, padW: pad)
    }

    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, padH: Int, padW: Int) {
        precondition(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0,
                     "kernel and stride must be positive")
        precondition(padH >= 0 && padW >= 0, "padding must be non-negative")
        precondition(height + 2 * padH >= kernelH && width + 2 * padW >= kernelW,
                     "kernel larger than the padded input")
        self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH
        self.strideW = strideW; self.padH = padH; self.padW = padW
    }

    public var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    public var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the column matrix: C * KH * KW.
    public var patchSize: Int { channels * kernelH * kernelW }
    public var outPlane: Int { outHeight * outWidth }
    public var inPlane: Int { height * width }
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
}

/// Unfolds one image (C, H, W) into the column matrix used by convolution-as-GEMM.
///
/// Column matrix layout: row r = (c * KH + kh) * KW + kw, column = output position
/// oh * OW + ow. The caller may place several images side by side in one matrix
/// (`ldCol` = images * OH * OW, `col` pointing at this image's first column) so a whole
/// mini-batch becomes a single large GEMM.
///
/// Stride-1 layers (every layer of LeNet-5 and most of All-CNN and ResNet) take a path
/// that reads each input row once for all KW shifted copies and needs no division; the
/// rows it writes are 8 to 32 floats long, so per-row bookkeeping is what it saves.
///
/// `rows` unfolds only a band of output rows (the columns of those positions, band-local:
/// `col` then holds rows.count * OW columns per image): a large image's whole column
/// matrix (2.4 MB for ResNet's 64-channel 32x32 layers) would not stay in L2.
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                   _ col: UnsafeMutablePointer<Float>, ldCol: Int, rows: Range<Int>? = nil) {
    let band = rows ?? 0..<g.outHeight
    if g.strideH == 1 && g.strideW == 1 {
        im2colStride1(image, g, col, ldCol: ldCol, rows: band)
    } else {
        im2colAnyStride(image, g, col, ldCol: ldCol, rows: band)
    }
}

/// Folds a column matrix back into an image, adding overlapping contributions: the adjoint
/// of `im2col`, used for the gradient with respect to the convolution's input.
/// `image` is overwritten (not accumulated into). One column row at a time, for every
/// stride: the stride-1 order of `im2col` would add KW overlapping rows back to back, and
/// each of those read-after-write overlaps stalls store forwarding (LeNet's conv2 backward
/// went from 6.1 to 6.7 ms per batch that way).
///
/// With `rows` (a band of output rows, as in `im2col`), the band's contributions are added
/// to `image`, which the caller has zeroed before the first band.
public func col2im(_ col: UnsafePointer<Float>, ldCol: Int, _ g: ConvGeometry,
                   _ image: UnsafeMutablePointer<Float>, rows: Range<Int>? = nil) {
    let ow = g.outWidth
    let h = g.height, w = g.width
    if rows == nil { image.update(repeating: 0, count: g.channels * h * w) }
    let band = rows ?? 0..<g.outHeight
    var row = 0
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for kh in 0..<g.kernelH {
            for kw in 0..<g.kernelW {
                let srcRow = col + row * ldCol
                let (owLo, owHi) = columnSpan(kw: kw, g)
                if owHi > owLo {
                    for y in band {
                        let ih = y * g.strideH - g.padH + kh
                        if ih < 0 || ih >= h { continue }
                        let src = srcRow + (y - band.lowerBound) * ow
                        let dst = plane + ih * w - g.padW + kw
                        var x = owLo
                        if g.strideW == 1 {
                            addShort(src + owLo, dst + owLo, count: owHi - owLo)
                        } else {
                            while x < owHi { dst[x * g.strideW] += src[x]; x += 1 }
                        }
                    }
                }
                row += 1
            }
        }
    }
}

/// Output columns [lo, hi) of kernel column `kw` whose input column lies inside the
/// image, for stride 1: x + kw - pad in [0, W).
@inline(__always)
private func stride1Span(kw: Int, _ g: ConvGeometry) -> (lo: Int, hi: Int) {
    (max(0, g.padW - kw), min(g.outWidth, g.width + g.padW - kw))
}

/// Output columns [lo, hi) of kernel column `kw` whose input column lies inside the
/// image, for any stride (no division at stride 1: two per row cost more than a short
/// row's copy or adds).
@inline(__always)
private func columnSpan(kw: Int, _ g: ConvGeometry) -> (lo: Int, hi: Int) {
    if g.strideW == 1 { return stride1Span(kw: kw, g) }
    return (max(0, ceilDiv(g.padW - kw, g.strideW)),
            min(g.outWidth, ceilDiv(g.width + g.padW - kw, g.strideW)))
}

/// Stride-1 im2col, loops ordered (c, kh, output row, kw): the input row at hand stays in
/// L1 while its KW shifted copies go to KW column rows.
func im2colStride1(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                   _ col: UnsafeMutablePointer<Float>, ldCol: Int, rows band: Range<Int>) {
    let ow = g.outWidth, h = g.height, w = g.width, kW = g.kernelW
    let interior = g.padW == 0 && ow + kW - 1 <= w
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for kh in 0..<g.kernelH {
            let rows = col + ((c * g.kernelH + kh) * kW) * ldCol
            for y in band {
                let ih = y - g.padH + kh
                let dst = rows + (y - band.lowerBound) * ow
                if ih < 0 || ih >= h {
                    for kw in 0..<kW { (dst + kw * ldCol).update(repeating: 0, count: ow) }
                    continue
                }
                let src = plane + ih * w - g.padW
                if interior {
                    for kw in 0..<kW { copyShort(src + kw, dst + kw * ldCol, count: ow) }
                    continue
                }
                for kw in 0..<kW {
                    let (lo, hi) = stride1Span(kw: kw, g)
                    let d = dst + kw * ldCol
                    if hi <= lo { d.update(repeating: 0, count: ow); continue }
                    for x in 0..<lo { d[x] = 0 }
                    copyShort(src + kw + lo, d + lo, count: hi - lo)
                    for x in hi..<ow { d[x] = 0 }
                }
            }
        }
    }
}

/// im2col for any stride: one column row at a time.
func im2colAnyStride(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                     _ col: UnsafeMutablePointer<Float>, ldCol: Int, rows band: Range<Int>) {
    let ow = g.outWidth
    let h = g.height, w = g.width
    var row = 0
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for kh in 0..<g.kernelH {
            for kw in 0..<g.kernelW {
                let dstRow = col + row * ldCol
                let (owLo, owHi) = columnSpan(kw: kw, g)
                for y in band {
                    let dst = dstRow + (y - band.lowerBound) * ow
                    let ih = y * g.strideH - g.padH + kh
                    if ih < 0 || ih >= h || owHi <= owLo {
                        dst.update(repeating: 0, count: ow)
                        continue
                    }
                    if owLo > 0 { dst.update(repeating: 0, count: owLo) }
                    let src = plane + ih * w - g.padW + kw
                    if g.strideW == 1 {
                        copyShort(src + owLo, dst + owLo, count: owHi - owLo)
                    } else {
                        var x = owLo
                        while x < owHi {
                            dst[x] = src[x * g.strideW]
                            x += 1
                        }
                    }
                    if owHi < ow { (dst + owHi).update(repeating: 0, count: ow - owHi) }
                }
                row += 1
            }
        }
    }
}

@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int {
    // Floor-correct for negative numerators too.
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
}
