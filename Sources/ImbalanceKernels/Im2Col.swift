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
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry,
                   _ col: UnsafeMutablePointer<Float>, ldCol: Int) {
    let oh = g.outHeight, ow = g.outWidth
    let h = g.height, w = g.width
    var row = 0
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for kh in 0..<g.kernelH {
            for kw in 0..<g.kernelW {
                let dstRow = col + row * ldCol
                // Output columns whose input column is inside the image.
                let owLo = max(0, ceilDiv(g.padW - kw, g.strideW))
                let owHi = min(ow, ceilDiv(w + g.padW - kw, g.strideW))  // exclusive
                for y in 0..<oh {
                    let dst = dstRow + y * ow
                    let ih = y * g.strideH - g.padH + kh
                    if ih < 0 || ih >= h || owHi <= owLo {
                        dst.update(repeating: 0, count: ow)
                        continue
                    }
                    if owLo > 0 { dst.update(repeating: 0, count: owLo) }
                    let src = plane + ih * w - g.padW + kw
                    if g.strideW == 1 {
                        // Rows are short (8 to 32 floats in the study's networks): vector
                        // moves inline beat a memmove call here.
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

/// Folds a column matrix back into an image, adding overlapping contributions: the adjoint
/// of `im2col`, used for the gradient with respect to the convolution's input.
/// `image` is overwritten (not accumulated into).
public func col2im(_ col: UnsafePointer<Float>, ldCol: Int, _ g: ConvGeometry,
                   _ image: UnsafeMutablePointer<Float>) {
    let oh = g.outHeight, ow = g.outWidth
    let h = g.height, w = g.width
    image.update(repeating: 0, count: g.channels * h * w)
    var row = 0
    for c in 0..<g.channels {
        let plane = image + c * h * w
        for kh in 0..<g.kernelH {
            for kw in 0..<g.kernelW {
                let srcRow = col + row * ldCol
                let owLo = max(0, ceilDiv(g.padW - kw, g.strideW))
                let owHi = min(ow, ceilDiv(w + g.padW - kw, g.strideW))
                if owHi > owLo {
                    for y in 0..<oh {
                        let ih = y * g.strideH - g.padH + kh
                        if ih < 0 || ih >= h { continue }
                        let src = srcRow + y * ow
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

@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int {
    // Floor-correct for negative numerators too.
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
}
