import ImbalanceMetrics

/// SplitMix64: a small seeded generator so test data is the same on every toolchain
/// (the standard library's random algorithms are unspecified).
struct TestRNG: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in 0..<n.
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Roughly normal (sum of uniforms), enough for toy logits.
    mutating func normal() -> Double { (0..<12).reduce(0.0) { acc, _ in acc + unit() } - 6 }
}

/// Float32 softmax outputs of a toy network on `n` samples: logits favour the true class
/// and are tilted by `logPriors`, like a network trained on imbalanced data. With
/// `coarse`, outputs are rounded to multiples of 1/64, so every column is full of ties.
func toySoftmax(n: Int, classCount k: Int, seed: UInt64, logPriors: [Double]? = nil,
                coarse: Bool = false) -> (scores: [Float], labels: [Int]) {
    var rng = TestRNG(seed: seed)
    var scores = [Float](repeating: 0, count: n * k)
    var labels = [Int](repeating: 0, count: n)
    for i in 0..<n {
        let y = rng.int(k)
        labels[i] = y
        var logits = (0..<k).map { _ in rng.normal() }
        logits[y] += 1.5
        if let logPriors { for c in 0..<k { logits[c] += logPriors[c] } }
        let top = logits.max() ?? 0
        let e = logits.map { Float(exp($0 - top)) }
        let sum = e.reduce(0, +)
        for c in 0..<k { scores[i * k + c] = coarse ? (e[c] / sum * 64).rounded() / 64 : e[c] / sum }
    }
    return (scores, labels)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reference AUC by brute force over all positive-negative pairs, ties one half: the
/// definition itself, O(n^2).
func bruteForceAUC(_ scores: [Float], labels: [Int], positive: Int, classCount k: Int) -> Double? {
    let n = labels.count
    var twiceU = 0, positives = 0, negatives = 0
    for i in 0..<n where labels[i] == positive {
        positives += 1
        for j in 0..<n where labels[j] != positive {
            let a = scores[i * k + positive], b = scores[j * k + positive]
            twiceU += a > b ? 2 : (a == b ? 1 : 0)
        }
    }
    negatives = n - positives
    guard positives > 0, negatives > 0 else { return nil }
    return Double(twiceU) / (2 * Double(positives) * Double(negatives))
}
