/// How long to time each pass. The median is what every table reports: on a shared virtual
/// machine, single runs are slowed by neighbours far more often than they are sped up, and
/// the median ignores a few such runs where the mean would not.
public struct TimingPolicy: Codable, Sendable {
    public var warmupRuns = 1
    public var minRuns = 5
    public var minSeconds = 0.3
    public var maxRuns = 200

    public init(warmupRuns: Int = 1, minRuns: Int = 5, minSeconds: Double = 0.3,
                maxRuns: Int = 200) {
        precondition(warmupRuns >= 0 && minRuns >= 1 && maxRuns >= minRuns && minSeconds >= 0,
                     "timing policy: need warmupRuns >= 0, 1 <= minRuns <= maxRuns, minSeconds >= 0")
        self.warmupRuns = warmupRuns; self.minRuns = minRuns
        self.minSeconds = minSeconds; self.maxRuns = maxRuns
    }
}

/// Times of the runs of one pass, in seconds, and, when a yardstick was interleaved, how
/// each run compared with it.
public struct Timing: Codable, Sendable {
    public let runs: Int
    public let median: Double
    public let min: Double
    public let max: Double
    /// Median GFLOP/s of the yardstick runs interleaved with this pass.
    public let yardstickGFLOPS: Double?
    /// Median over the runs of (this run's speed / the speed of the yardstick run just
    /// before it), in percent.
    public let percentOfYardstick: Double?

    public init(samples: [Double], yardstickGFLOPS: [Double] = [], ratios: [Double] = []) {
        precondition(!samples.isEmpty, "no timed runs")
        let s = samples.sorted()
        runs = s.count
        median = Timing.median(s)
        min = s[0]; max = s[s.count - 1]
        self.yardstickGFLOPS = yardstickGFLOPS.isEmpty ? nil : Timing.median(yardstickGFLOPS.sorted())
        let ratio = ratios.isEmpty ? .nan : 100 * Timing.median(ratios.sorted())
        percentOfYardstick = ratio.isFinite ? ratio : nil
    }

    static func median(_ s: [Double]) -> Double {
        s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Runs `pass.prepare` untimed and `pass.run` timed, first `warmupRuns` times unrecorded,
/// then until both `minRuns` and `minSeconds` of timed work are reached (or `maxRuns`).
///
/// With a `yardstick`, a yardstick run is timed before the first run and again whenever
/// the pass has run for as long as the last yardstick run took, and every run is compared
/// with the yardstick run just before it. On a machine shared with other work the speed
/// available changes from second to second; a ratio of two figures measured a few
/// milliseconds apart is far steadier than two figures measured seconds apart.
///
/// With a `baseline`, each sample is the time of `pass` minus that of `baseline` run just
/// before it, for the same reason: what one pass costs beyond another (the input gradient
/// beyond the weight gradient) is the median of differences of neighbouring runs, not the
/// difference of two medians taken minutes apart. The FLOPs of such a sample are
/// `pass.flops - baseline.flops`.
public func measure(_ pass: Pass, policy: TimingPolicy, yardstick: Pass? = nil,
                    baseline: Pass? = nil) -> Timing {
    let clock = ContinuousClock()
    func timed(_ p: Pass) -> Double {
        p.prepare()
        let start = clock.now
        p.run()
        return (clock.now - start).seconds
    }
    for _ in 0..<policy.warmupRuns {
        if let baseline { _ = timed(baseline) }
        _ = timed(pass)
    }
    let flops = pass.flops - (baseline?.flops ?? 0)
    var samples: [Double] = [], yard: [Double] = [], ratios: [Double] = []
    samples.reserveCapacity(policy.maxRuns)
    var total = 0.0, sinceYardstick = 0.0, lastYardstick = 0.0
    while samples.count < policy.maxRuns
        && (samples.count < policy.minRuns || total < policy.minSeconds) {
        if let yardstick, yard.isEmpty || sinceYardstick >= lastYardstick {
            lastYardstick = timed(yardstick)
            yard.append(yardstick.flops / lastYardstick / 1e9)
            sinceYardstick = 0
        }
        let before = baseline.map(timed) ?? 0
        let after = timed(pass)
        let seconds = after - before
        samples.append(seconds)
        total += before + after
        sinceYardstick += before + after
        if let last = yard.last, flops > 0 {
            // A difference that noise made zero or negative counts as infinitely fast, so
            // the median ratio stays the ratio at the median time instead of dropping the
            // fastest samples.
            ratios.append(seconds > 0 ? flops / seconds / 1e9 / last : .infinity)
        }
    }
    return Timing(samples: samples, yardstickGFLOPS: yard, ratios: ratios)
}

extension Duration {
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
