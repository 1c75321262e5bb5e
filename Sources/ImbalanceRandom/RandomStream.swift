/// A seeded, splittable pseudo-random stream (xoshiro256** seeded through SplitMix64).
///
/// Every consumer of randomness in the suite (subset selection, initialisation, batch order,
/// dropout, resampling) gets its own stream, derived from one base seed by a label, so that
/// changing how much one consumer draws never shifts what another sees. The sampling helpers
/// here are written out rather than taken from the standard library, whose algorithms for
/// `shuffle(using:)` and `random(in:using:)` are not specified and may change between
/// toolchains; records must stay bit-identical for a given seed.
public struct RandomStream: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates the stream for `seed`. Equal seeds give equal streams.
    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// Derives an independent stream from a base seed and a purpose label (for example
    /// `RandomStream(seed: 7, label: "init")`). The label is hashed with FNV-1a and mixed
    /// with the seed, so streams for different labels are unrelated.
    public init(seed: UInt64, label: String) {
        self.init(seed: RandomStream.mix(seed, label))
    }

    /// A child stream for `label`, derived from this stream's current state without
    /// advancing it.
    public func split(_ label: String) -> RandomStream {
        RandomStream(seed: RandomStream.mix(s0 ^ s1.rotl(17) ^ s2.rotl(31) ^ s3.rotl(47), label))
    }

    /// The seed that `init(seed:label:)` uses, exposed so records can name derived seeds.
    public static func mix(_ seed: UInt64, _ label: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        var sm = SplitMix64(state: seed ^ h)
        _ = sm.next()
        return sm.next() ^ h.rotl(29)
    }

    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotl(7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotl(45)
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's nearly-divisionless method, unbiased).
    public mutating func uniformInt(below bound: Int) -> Int {
        precondition(bound > 0, "uniformInt(below:) needs a positive bound")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func uniformFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Fisher-Yates shuffle in place, with this stream's own integer draws.
    public mutating func shuffle<T>(_ array: inout [T]) {
        var i = array.count - 1
        while i > 0 {
            let j = uniformInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
            i -= 1
        }
    }

    /// `count` distinct indices drawn uniformly from `0..<population`, in draw order
    /// (a partial Fisher-Yates shuffle).
    public mutating func sample(_ count: Int, from population: Int) -> [Int] {
        precondition(count >= 0 && count <= population,
                     "cannot draw \(count) distinct items from \(population)")
        var pool = Array(0..<population)
        for i in 0..<count {
            let j = i + uniformInt(below: population - i)
            pool.swapAt(i, j)
        }
        return Array(pool[0..<count])
    }
}

/// SplitMix64, used only to expand seeds into xoshiro state.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    @inline(__always) func rotl(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}
