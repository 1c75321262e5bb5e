import ImbalanceKernels

/// Learning-rate schedules, with Caffe's definitions (t is the 0-based iteration).
public enum LearningRatePolicy: Sendable, Equatable, Codable {
    /// base
    case fixed
    /// base * (1 + gamma * t)^(-power)  (LeNet: gamma 1e-4, power 0.75)
    case inverse(gamma: Double, power: Double)
    /// base * gamma^(number of milestones <= t)  (All-CNN: x0.1 at 40k, 50k, 60k)
    case multistep(milestones: [Int], gamma: Double)
    /// base * (1 - t / maxIterations)^power; power 1 is linear decay to 0 (ResNet-10).
    case polynomial(maxIterations: Int, power: Double)

    public func rate(base: Double, iteration t: Int) -> Double {
        switch self {
        case .fixed:
            return base
        case let .inverse(gamma, power):
            return base * pow(1 + gamma * Double(t), -power)
        case let .multistep(milestones, gamma):
            return base * pow(gamma, Double(milestones.filter { $0 <= t }.count))
        case let .polynomial(maxIterations, power):
            return base * pow(max(0, 1 - Double(t) / Double(maxIterations)), power)
        }
    }

    /// A short human-readable name, for records and progress lines.
    public var description: String {
        switch self {
        case .fixed: return "fixed"
        case let .inverse(g, p): return "inv(gamma=\(g),power=\(p))"
        case let .multistep(m, g): return "multistep(\(m.map(String.init).joined(separator: ",")),gamma=\(g))"
        case let .polynomial(m, p): return "poly(max=\(m),power=\(p))"
        }
    }
}

/// Stochastic gradient descent with momentum and L2 weight decay, exactly Caffe's update:
///   g <- grad + weightDecay * decayMult * w
///   v <- momentum * v + lr * lrMult * g
///   w <- w - v
/// Momentum buffers are allocated once per parameter. Frozen parameters are skipped.
public final class SGD {
    public let parameters: [Parameter]
    public var momentum: Float
    public var weightDecay: Float
    private let history: [Tensor]

    public init(parameters: [Parameter], momentum: Float, weightDecay: Float) {
        self.parameters = parameters; self.momentum = momentum; self.weightDecay = weightDecay
        history = parameters.map { Tensor(shape: $0.value.shape) }
    }

    public func step(learningRate: Double) {
        for (p, v) in zip(parameters, history) where p.isTrainable {
            let lr = Float(learningRate) * p.learningRateMultiplier
            let decay = weightDecay * p.decayMultiplier
            let w = p.value.pointer, g = p.gradient.pointer, h = v.pointer
            let mom = momentum, count = p.value.count
            // Elementwise, so eight lanes and any split across workers give the bits of the
            // scalar loop.
            Parallel.forEachRange(count, pieces: Parallel.pieces(forElements: count)) { r in
                var i = r.lowerBound
                let mv = SIMD8<Float>(repeating: mom), lv = SIMD8<Float>(repeating: lr)
                let dv = SIMD8<Float>(repeating: decay)
                while i + 8 <= r.upperBound {
                    let hv = mv * load8(h + i) + lv * (load8(g + i) + dv * load8(w + i))
                    store8(hv, h + i)
                    store8(load8(w + i) - hv, w + i)
                    i += 8
                }
                while i < r.upperBound {
                    h[i] = mom * h[i] + lr * (g[i] + decay * w[i])
                    w[i] -= h[i]
                    i += 1
                }
            }
        }
    }

    /// Clears the momentum (a new phase starts from rest, as a new Caffe solver would).
    public func resetMomentum() {
        for v in history { v.zero() }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

extension LearningRatePolicy {
    /// Parses the `description` form back ("fixed", "inv(gamma=0.0001,power=0.75)",
    /// "multistep(40000,50000,60000,gamma=0.1)", "poly(max=320000,power=1.0)"), so that a
    /// record's policy string is enough to rebuild its schedule.
    public init(parsing text: String) throws {
        let t = text.replacingOccurrences(of: " ", with: "")
        func args() -> [String: Double] {
            guard let open = t.firstIndex(of: "("), t.hasSuffix(")") else { return [:] }
            var out: [String: Double] = [:]
            var positional = 0
            for part in t[t.index(after: open)..<t.index(before: t.endIndex)].split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2, let v = Double(kv[1]) { out[String(kv[0])] = v }
                else if let v = Double(part) { out["#\(positional)"] = v; positional += 1 }
            }
            return out
        }
        let a = args()
        if t == "fixed" { self = .fixed; return }
        if t.hasPrefix("inv("), let g = a["gamma"], let p = a["power"] {
            self = .inverse(gamma: g, power: p); return
        }
        if t.hasPrefix("multistep("), let g = a["gamma"] {
            let ms = a.keys.filter { $0.hasPrefix("#") }.sorted { Int($0.dropFirst())! < Int($1.dropFirst())! }
            self = .multistep(milestones: ms.map { Int(a[$0]!) }, gamma: g); return
        }
        if t.hasPrefix("poly("), let m = a["max"], let p = a["power"] {
            self = .polynomial(maxIterations: Int(m), power: p); return
        }
        throw PolicyError(description: "cannot read learning-rate policy '\(text)' (expected fixed, inv(gamma=G,power=P), multistep(M1,M2,...,gamma=G) or poly(max=N,power=P))")
    }
}

public struct PolicyError: Error, CustomStringConvertible {
    public var description: String
}

import Foundation
