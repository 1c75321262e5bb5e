/// Short vector loops the compiler does not vectorise by itself: it cannot prove that two
/// raw pointers do not overlap, and a float sum is a serial chain unless it is told the
/// order. Each helper fixes its order of operations, so results do not depend on how the
/// caller splits its work across threads.

@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inlinable @inline(__always)
public func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// dst[0..<count] = src[0..<count] for short rows (8 to 32 floats in im2col), where a
/// memmove call costs more than the copy.
@inlinable @inline(__always)
public func copyShort(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                      count: Int) {
    var i = 0
    while i + 8 <= count { store8(load8(src + i), dst + i); i += 8 }
    while i < count { dst[i] = src[i]; i += 1 }
}

/// dst[0..<count] += src[0..<count].
@inlinable @inline(__always)
public func addShort(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                     count: Int) {
    var i = 0
    while i + 8 <= count { store8(load8(dst + i) + load8(src + i), dst + i); i += 8 }
    while i < count { dst[i] += src[i]; i += 1 }
}

/// dst[i] = src[i] + value.
@inlinable @inline(__always)
public func addScalar(_ src: UnsafePointer<Float>, _ value: Float,
                      _ dst: UnsafeMutablePointer<Float>, count: Int) {
    let v = SIMD8<Float>(repeating: value)
    var i = 0
    while i + 8 <= count { store8(load8(src + i) + v, dst + i); i += 8 }
    while i < count { dst[i] = src[i] + value; i += 1 }
}

/// The sum of `count` floats: eight lanes in parallel, lanes added pairwise at the end,
/// then the tail in order.
@inlinable @inline(__always)
public func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= count { acc += load8(x + i); i += 8 }
    let lo = acc.lowHalf + acc.highHalf
    let pair = lo.lowHalf + lo.highHalf
    var total = pair[0] + pair[1]
    while i < count { total += x[i]; i += 1 }
    return total
}

/// dst[i] += src[i] over `count` elements, split into pieces across `Parallel.threads`
/// (elementwise, so the split does not change any result).
public func accumulate(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                       count: Int) {
    Parallel.forEachRange(count, pieces: Parallel.pieces(forElements: count)) { r in
        addShort(src + r.lowerBound, dst + r.lowerBound, count: r.count)
    }
}
