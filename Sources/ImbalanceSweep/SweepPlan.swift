import ImbalanceData
import ImbalanceNN
import ImbalanceTraining

/// The jobs of a sweep, in a fixed order, and how they split into shards.
///
/// One job trains one network from scratch; the methods that reuse it (thresholding and the
/// other post-hoc methods, the second phase of two-phase training, cRT) are evaluated inside
/// it (`MethodRegistry.jobs`). So the baseline, thresholding and cRT share a job, ROS,
/// ROS+thresholding and two-phase ROS share one, and so on.
/// Repetitions are the outer loop, so an interrupted sweep has whole repetitions of the
/// grid done rather than all repetitions of a few cells.
public enum SweepPlan {
    public static func jobs(for config: SweepConfig) -> [JobConfig] {
        precondition(config.userData == nil || config.data != nil,
                     "SweepConfig.resolveData(path:) must run before planning a sweep on user data")
        let defaults = ModelDefaults.forModel(config.model, iterations: config.iterations,
                                              batch: config.batchSize)
        guard let methodJobs = try? MethodRegistry.jobs(for: config.methods, parameters: config.methodParameters) else {
            preconditionFailure("the config's methods are invalid; SweepConfig.parse rejects such configs")
        }
        func make(_ profile: ImbalanceProfile, sampler: String, ratio: Double?, twoPhase: Bool,
                  rep: Int, rate: Double?, methods: JobMethods? = nil) -> JobConfig {
            JobConfig(dataset: config.dataset, model: config.model,
                      profile: ProfileSpec(kind: profile.kindName, rho: profile.rho, mu: profile.mu),
                      minorityRule: config.minorityRule, sampler: sampler, samplerRatio: ratio,
                      twoPhase: twoPhase, repetition: rep, baseSeed: config.baseSeed,
                      maxPerClass: config.maxPerClass, iterations: config.iterations,
                      batchSize: config.batchSize,
                      baseLearningRate: rate ?? config.learningRate ?? defaults.baseLearningRate,
                      learningRatePolicy: defaults.policy.description,
                      momentum: defaults.momentum, weightDecay: defaults.weightDecay, threads: 1,
                      preprocessing: config.preprocessing ?? defaults.preprocessing,
                      augmentation: config.augmentation ?? defaults.augmentation, data: config.data,
                      parameters: methods?.parameters, derivedMethods: methods?.derivedMethods)
        }
        let rates: [Double?] = config.learningRates.isEmpty ? [nil] : config.learningRates
        var jobs: [JobConfig] = []
        for rep in 0..<config.repetitions {
          for rate in rates {
            for profile in config.profiles() {
                if profile == .balanced {
                    // Samplers do nothing on a balanced set: one reference network.
                    jobs.append(make(profile, sampler: "none", ratio: nil, twoPhase: false, rep: rep, rate: rate))
                    continue
                }
                // One job per training method, in registry order (baseline, ROS, RUS, ...);
                // the methods that reuse its network are evaluated inside it.
                for jm in methodJobs {
                    jobs.append(make(profile, sampler: jm.sampler, ratio: nil, twoPhase: jm.twoPhase,
                                     rep: rep, rate: rate, methods: jm))
                }
            }
            if let p = config.partial {
                for rho in p.rhos { for mu in p.mus { for s in p.samplers { for r in p.ratios {
                    jobs.append(make(.step(rho: rho, mu: mu), sampler: s, ratio: r, twoPhase: false, rep: rep, rate: rate))
                } } } }
            }
          }
        }
        // A partial ratio equal to 1 duplicates the full-balance job: keep one.
        var seen = Set<String>()
        return jobs.filter { seen.insert(RunID.make($0)).inserted }
    }

    /// The `index`-th (1-based) of `count` disjoint slices, dealt round-robin so that every
    /// shard gets a similar mix of cheap and expensive jobs.
    public static func shard<T>(_ jobs: [T], index: Int, count: Int) -> [T] {
        precondition(count >= 1 && index >= 1 && index <= count, "shard must be I/N with 1 <= I <= N")
        return jobs.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    /// Parses "I/N".
    public static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else {
            throw ExperimentError("--shard takes I/N with 1 <= I <= N (for example 2/8), found '\(text)'")
        }
        return (i, n)
    }
}
