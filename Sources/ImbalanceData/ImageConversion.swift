/// The shape every image of a dataset is brought to as it is read: a size and a channel
/// count, each optional (nil keeps what the file has).
///
/// Rules, applied per image in this order:
/// - RGB to grey: ITU-R 601-2 luma in PIL's fixed point, (19595 R + 38470 G + 7471 B +
///   32768) >> 16, so grey images match `PIL.Image.convert("L")` exactly.
/// - Resizing, separately along each axis: when an axis shrinks, area averaging (each
///   output pixel is the mean of the source pixels it covers, fractional pixels weighted by
///   their overlap: OpenCV's INTER_AREA); when it grows, bilinear interpolation with pixel
///   centres at +0.5 and edge pixels repeated (OpenCV's INTER_LINEAR); an axis that keeps
///   its length is copied. Sums in Double, rounded half up once at the end, so an image
///   that is not resized keeps its bytes exactly.
/// - Grey to RGB: the grey plane copied into all three channels.
///
/// `shorterSide` (ILSVRC-2012's "shorter side resized to 256") scales both axes by one
/// factor so that the shorter becomes `shorterSide` and the longer round(longer * factor).
public struct ImageConversion: Sendable, Equatable, Hashable {
    public var height: Int?
    public var width: Int?
    public var shorterSide: Int?
    public var channels: Int?

    public init(height: Int? = nil, width: Int? = nil, shorterSide: Int? = nil, channels: Int? = nil) {
        precondition((height == nil) == (width == nil), "give both height and width, or neither")
        precondition(channels == nil || channels == 1 || channels == 3, "channels must be 1 or 3")
        self.height = height; self.width = width; self.shorterSide = shorterSide; self.channels = channels
    }

    /// True when the conversion changes nothing.
    public var isIdentity: Bool { height == nil && shorterSide == nil && channels == nil }

    /// The output size for a `h` x `w` input.
    public func size(height h: Int, width w: Int) -> (height: Int, width: Int) {
        if let height, let width { return (height, width) }
        if let s = shorterSide {
            if h <= w { return (s, max(1, Int((Double(w) * Double(s) / Double(h)).rounded()))) }
            return (max(1, Int((Double(h) * Double(s) / Double(w)).rounded())), s)
        }
        return (h, w)
    }

    /// Converts one decoded image (HWC) into planes (CHW) of `(channels ?? image.channels)`
    /// x `size(...)`.
    public func planes(_ image: DecodedImage) -> (pixels: [UInt8], channels: Int, height: Int, width: Int) {
        let (h, w) = (image.height, image.width)
        let c = image.channels
        var src = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<h { for x in 0..<w { for k in 0..<c { src[k * h * w + y * w + x] = p[(y * w + x) * c + k] } } }
        }
        return finish(src, channels: c, height: h, width: w)
    }

    /// Converts planes (CHW) of one image.
    func finish(_ planes: [UInt8], channels c: Int, height h: Int, width w: Int) -> (pixels: [UInt8], channels: Int, height: Int, width: Int) {
        var src = planes
        var c = c
        if channels == 1 && c == 3 { src = Self.luma(src, plane: h * w); c = 1 }
        let (oh, ow) = size(height: h, width: w)
        var out = src
        if oh != h || ow != w {
            out = [UInt8](repeating: 0, count: c * oh * ow)
            let rows = Self.weights(from: h, to: oh), cols = Self.weights(from: w, to: ow)
            var temp = [Double](repeating: 0, count: h * ow)
            for k in 0..<c {
                let plane = k * h * w
                for y in 0..<h {
                    for x in 0..<ow {
                        var s = 0.0
                        for (j, weight) in cols[x] { s += Double(src[plane + y * w + j]) * weight }
                        temp[y * ow + x] = s
                    }
                }
                for y in 0..<oh {
                    for x in 0..<ow {
                        var s = 0.0
                        for (i, weight) in rows[y] { s += temp[i * ow + x] * weight }
                        out[k * oh * ow + y * ow + x] = UInt8(max(0, min(255, (s + 0.5).rounded(.down))))
                    }
                }
            }
        }
        if channels == 3 && c == 1 { out = out + out + out; c = 3 }
        return (out, c, oh, ow)
    }

    /// A whole in-memory dataset converted image by image.
    public func apply(_ data: ImageDataset) throws -> ImageDataset {
        if isIdentity || (channels ?? data.channels) == data.channels
            && size(height: data.height, width: data.width) == (data.height, data.width) {
            return data
        }
        let d = data.sampleSize
        var pixels: [UInt8] = []
        var shape = (channels: data.channels, height: data.height, width: data.width)
        for i in 0..<data.count {
            let one = finish(Array(data.pixels[(i * d)..<((i + 1) * d)]), channels: data.channels,
                             height: data.height, width: data.width)
            if i == 0 { pixels.reserveCapacity(data.count * one.pixels.count) }
            pixels += one.pixels
            shape = (one.channels, one.height, one.width)
        }
        return ImageDataset(name: data.name, channels: shape.channels, height: shape.height, width: shape.width,
                            pixels: pixels, labels: data.labels, classNames: data.classNames)
    }

    /// PIL's `convert("L")` of RGB planes.
    static func luma(_ rgb: [UInt8], plane n: Int) -> [UInt8] {
        (0..<n).map { (i: Int) -> UInt8 in
            let r: Int = 19595 * Int(rgb[i])
            let g: Int = 38470 * Int(rgb[n + i])
            let b: Int = 7471 * Int(rgb[2 * n + i])
            return UInt8((r + g + b + 0x8000) >> 16)
        }
    }

    /// For each output index along an axis of `n` -> `m` pixels, the source indices and
    /// weights (summing to 1): area averaging when shrinking, bilinear when growing.
    static func weights(from n: Int, to m: Int) -> [[(Int, Double)]] {
        if n == m { return (0..<m).map { [($0, 1.0)] } }
        if m < n {
            let scale = Double(n) / Double(m)
            return (0..<m).map { x in
                let start = Double(x) * scale, end = Double(x + 1) * scale
                var list: [(Int, Double)] = []
                var j = Int(start.rounded(.down))
                while Double(j) < end && j < n {
                    let overlap = min(Double(j + 1), end) - max(Double(j), start)
                    if overlap > 0 { list.append((j, overlap / scale)) }
                    j += 1
                }
                return list
            }
        }
        return (0..<m).map { x in
            let src = min(max((Double(x) + 0.5) * Double(n) / Double(m) - 0.5, 0), Double(n - 1))
            let j0 = Int(src.rounded(.down)), j1 = min(j0 + 1, n - 1)
            let t = src - Double(j0)
            return t == 0 || j0 == j1 ? [(j0, 1.0)] : [(j0, 1 - t), (j1, t)]
        }
    }
}
