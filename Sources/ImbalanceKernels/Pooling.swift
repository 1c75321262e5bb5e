/// Max-pooling geometry with Caffe's output rule: out = ceil((in + 2*pad - k) / s) + 1,
/// then shrunk by one if the last window would start inside the bottom padding only.
public struct PoolGeometry: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernel: Int
    public let stride: Int
    public let pad: Int
    public let outHeight: Int
    public let outWidth: Int

    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, pad: Int = 0) {
        precondition(kernel > 0 && stride > 0 && pad >= 0 && pad < kernel)
        self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.pad = pad
        func out(_ n: Int) -> Int {
            var o = (n + 2 * pad - kernel + stride - 1) / stride + 1
            if pad > 0 && (o - 1) * stride >= n + pad { o -= 1 }
            return max(o, 1)
        }
        outHeight = out(height); outWidth = out(width)
    }
}

/// Max pooling over `images` images laid out (N, C, H, W). Records, for every output, the
/// flat index within its input plane of the winning element, so backward is a scatter.
/// Ties go to the first element in scan order (as Caffe).
public func maxPoolForward(_ input: UnsafePointer<Float>, images: Int, _ g: PoolGeometry,
                           _ output: UnsafeMutablePointer<Float>,
                           _ argmax: UnsafeMutablePointer<Int32>) {
    let planes = images * g.channels
    let inPlane = g.height * g.width, outPlane = g.outHeight * g.outWidth
    if g.kernel == 2 && g.stride == 2 && g.pad == 0 && g.height % 2 == 0 && g.width % 2 == 0 {
        // The LeNet case: no bounds checks, two input rows at a time.
        let ow = g.outWidth, w = g.width
        for p in 0..<planes {
            let src = input + p * inPlane
            let dst = output + p * outPlane
            let arg = argmax + p * outPlane
            for y in 0..<g.outHeight {
                let r0 = src + 2 * y * w, r1 = r0 + w
                for x in 0..<ow {
                    let i = 2 * x
                    var best = r0[i]; var at = 2 * y * w + i
                    if r0[i + 1] > best { best = r0[i + 1]; at = 2 * y * w + i + 1 }
                    if r1[i] > best { best = r1[i]; at = (2 * y + 1) * w + i }
                    if r1[i + 1] > best { best = r1[i + 1]; at = (2 * y + 1) * w + i + 1 }
                    dst[y * ow + x] = best
                    arg[y * ow + x] = Int32(at)
                }
            }
        }
        return
    }
    for p in 0..<planes {
        let src = input + p * inPlane
        let dst = output + p * outPlane
        let arg = argmax + p * outPlane
        for y in 0..<g.outHeight {
            let h0 = max(y * g.stride - g.pad, 0)
            let h1 = min(y * g.stride - g.pad + g.kernel, g.height)
            for x in 0..<g.outWidth {
                let w0 = max(x * g.stride - g.pad, 0)
                let w1 = min(x * g.stride - g.pad + g.kernel, g.width)
                var best = -Float.infinity
                var at = h0 * g.width + w0
                for yy in h0..<h1 {
                    for xx in w0..<w1 where src[yy * g.width + xx] > best {
                        best = src[yy * g.width + xx]; at = yy * g.width + xx
                    }
                }
                dst[y * g.outWidth + x] = best
                arg[y * g.outWidth + x] = Int32(at)
            }
        }
    }
}

/// Routes each output gradient to the input element that won the forward max.
/// `inputGrad` is overwritten.
public func maxPoolBackward(_ outputGrad: UnsafePointer<Float>, images: Int, _ g: PoolGeometry,
                            _ argmax: UnsafePointer<Int32>,
                            _ inputGrad: UnsafeMutablePointer<Float>) {
    let planes = images * g.channels
    let inPlane = g.height * g.width, outPlane = g.outHeight * g.outWidth
    inputGrad.update(repeating: 0, count: planes * inPlane)
    for p in 0..<planes {
        let dy = outputGrad + p * outPlane
        let arg = argmax + p * outPlane
        let dx = inputGrad + p * inPlane
        for i in 0..<outPlane { dx[Int(arg[i])] += dy[i] }
    }
}
