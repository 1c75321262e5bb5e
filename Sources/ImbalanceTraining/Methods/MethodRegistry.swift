/// Every method of the suite, in the order reports and help texts show them. A new method
/// is a file in Methods/ declaring a `MethodDefinition` plus one line here.
public enum MethodRegistry {
    public static let all: [MethodDefinition] = [
        // Buda et al. 2018, and class weighting.
        .baseline, .baselineThresholding,
        .ros, .rosThresholding, .twoPhaseROS,
        .rus, .rusThresholding, .twoPhaseRUS,
        .classWeighted,
        // Synthetic oversampling in input space.
        .smote, .borderlineSMOTE1, .borderlineSMOTE2, .adasyn,
        // Batch sampling.
        .classAware, .sqrtSampling, .progressive,
        // Loss re-weighting and loss design.
        .classBalanced, .classBalancedFocal, .focal, .ldamDRW, .logitAdjusted, .balancedSoftmax,
        // Reusing the baseline's network.
        .logitAdjustment, .tauNorm, .cRT,
    ]

    /// Other spellings configs may use, and the names they stand for.
    public static let aliases = ["thresholding": "baseline+thresholding"]

    private static let byName: [String: MethodDefinition] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) -> MethodDefinition? { byName[aliases[name] ?? name] }

    /// The training method a job records as `sampler` ("none" is the baseline).
    public static func training(recordedAs sampler: String) -> MethodDefinition? {
        all.first { if case .training(let r) = $0.role { return (r.recordedName ?? $0.name) == sampler }; return false }
    }

    /// What `JobConfig.sampler` holds for a training method.
    public static func recordedName(of method: MethodDefinition) -> String {
        if case .training(let r) = method.role { return r.recordedName ?? method.name }
        return method.name
    }

    /// Methods that reuse `training`'s network.
    public static func derived(from training: String) -> [MethodDefinition] {
        all.filter { $0.trainingMethod == training && $0.name != training }
    }

    /// A method by name, or an error that lists the valid names (and a near miss).
    public static func lookup(_ raw: String) throws -> MethodDefinition {
        if let m = named(raw) { return m }
        let close = all.first { $0.name.lowercased() == raw.lowercased() }
            .map { " (did you mean '\($0.name)'?)" } ?? ""
        throw MethodError("unknown method '\(raw)'\(close); expected one of \(names.joined(separator: ", ")) (or thresholding)")
    }

    /// `given` checked against `method`'s declared hyperparameters, with the defaults of
    /// those not given: every declared key, nothing else.
    public static func resolve(_ method: MethodDefinition, _ given: [String: ParameterValue]) throws
        -> [String: ParameterValue] {
        var out: [String: ParameterValue] = [:]
        for key in given.keys.sorted() where method.parameter(key) == nil {
            let keys = method.parameters.map(\.key)
            throw MethodError("method '\(method.name)' has no hyperparameter '\(key)'; "
                + (keys.isEmpty ? "it takes none" : "its hyperparameters are \(keys.joined(separator: ", "))"))
        }
        for p in method.parameters {
            switch p.check(given[p.key] ?? p.defaultValue) {
            case .success(let v): out[p.key] = v
            case .failure(let e): throw MethodError("method '\(method.name)': \(e.description)")
            }
        }
        return out
    }

    /// The method names a job's record holds results for when it finishes: its training
    /// method, the methods every job of it evaluates, two-phase training when flagged and
    /// the listed derived methods.
    public static func resultNames(sampler: String, twoPhase: Bool, derived: [String]) -> [String] {
        guard let training = training(recordedAs: sampler) else { return [sampler] }
        var names = [training.name]
        for m in MethodRegistry.derived(from: training.name) {
            switch m.recording {
            case .always: names.append(m.name)
            case .twoPhaseFlag: if twoPhase { names.append(m.name) }
            case .listed: if derived.contains(m.name) { names.append(m.name) }
            }
        }
        return names
    }
}

/// The method fields of one job: a training method and the methods evaluated on its network.
public struct JobMethods: Equatable, Sendable {
    public var sampler: String
    public var parameters: [String: ParameterValue]?
    public var twoPhase: Bool
    public var derivedMethods: [String: [String: ParameterValue]]?
}

extension MethodRegistry {
    /// The jobs that evaluate `methods` (names or aliases; `parameters` by method name, the
    /// defaults for the rest), one per training method, in registry order. A reusing method
    /// brings its base's job with it (listing cRT trains the baseline and stores both).
    public static func jobs(for methods: [String], parameters: [String: [String: ParameterValue]] = [:]) throws
        -> [JobMethods] {
        var listed: [MethodDefinition] = []
        for raw in methods {
            let m = try lookup(raw)
            if !listed.contains(where: { $0.name == m.name }) { listed.append(m) }
        }
        for name in parameters.keys.sorted() where !listed.contains(where: { $0.name == (aliases[name] ?? name) }) {
            throw MethodError("hyperparameters given for '\(name)', which is not among the methods")
        }
        var jobs: [JobMethods] = []
        for training in all where listed.contains(where: { $0.trainingMethod == training.name }) {
            let own = try resolve(training, parameters[training.name] ?? [:])
            var job = JobMethods(sampler: recordedName(of: training), parameters: own.isEmpty ? nil : own,
                                 twoPhase: false, derivedMethods: nil)
            for m in listed where m.trainingMethod == training.name && m.name != training.name {
                switch m.recording {
                case .always: break
                case .twoPhaseFlag: job.twoPhase = true
                case .listed:
                    job.derivedMethods = (job.derivedMethods ?? [:])
                        .merging([m.name: try resolve(m, parameters[m.name] ?? [:])]) { a, _ in a }
                }
            }
            jobs.append(job)
        }
        return jobs
    }

    /// Checks a job's method fields: a known training method, its hyperparameters exactly
    /// (every declared key, valid values), a ratio only where it applies, two-phase and the
    /// derived methods only on their base.
    public static func validate(_ c: JobConfig) throws {
        guard let training = training(recordedAs: c.sampler) else {
            let trainings = all.filter { if case .training = $0.role { return true }; return false }
                .map { recordedName(of: $0) }
            throw MethodError("unknown training method '\(c.sampler)' (expected one of \(trainings.joined(separator: ", ")))")
        }
        let given = c.parameters ?? [:]
        let resolved = try resolve(training, given)
        if given != resolved {
            let missing = resolved.keys.filter { given[$0] == nil }.sorted()
            throw MethodError("method '\(training.name)': the job gives no value for \(missing.joined(separator: ", ")) "
                + "(jobs record every hyperparameter; make them with imbench train or a sweep config)")
        }
        if let r = c.samplerRatio {
            guard case .training(let recipe) = training.role, recipe.supportsRatio else {
                throw MethodError("a sampler ratio applies to ROS and RUS only, not to '\(training.name)'")
            }
            guard r >= 1 else { throw MethodError("sampler ratio must be at least 1, got \(r)") }
        }
        let derived = MethodRegistry.derived(from: training.name)
        if c.twoPhase && !derived.contains(where: { $0.recording == .twoPhaseFlag }) {
            throw MethodError("two-phase training follows ROS or RUS, not '\(training.name)'")
        }
        for (name, params) in (c.derivedMethods ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let m = derived.first(where: { $0.name == name && $0.recording == .listed }) else {
                let options = derived.filter { $0.recording == .listed }.map(\.name)
                throw MethodError("'\(name)' cannot be evaluated on the network of '\(training.name)'"
                    + (options.isEmpty ? "" : " (methods that reuse it: \(options.joined(separator: ", ")))"))
            }
            let r = try resolve(m, params)
            if r != params {
                throw MethodError("method '\(name)': the job gives no value for "
                    + r.keys.filter { params[$0] == nil }.sorted().joined(separator: ", "))
            }
        }
    }

    /// Every hyperparameter of every method, one line each ("focal.gamma: number >= 0,
    /// default 2: focusing parameter ..."), for help texts and the config-key table.
    public static var parameterLines: [String] {
        all.flatMap { m in
            m.parameters.map { "\(m.name).\($0.key): \($0.typeDescription), default \($0.defaultValue): \($0.meaning)" }
        }
    }
}

extension MethodRegistry {
    /// Command-line hyperparameters, `NAME.KEY=VALUE` or `KEY=VALUE`, for the listed
    /// `methods`; a bare KEY must belong to exactly one of them.
    public static func parseAssignments(_ texts: [String], methods: [String]) throws
        -> [String: [String: ParameterValue]] {
        let listed = try methods.map(lookup)
        var out: [String: [String: ParameterValue]] = [:]
        for text in texts {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw MethodError("--param takes NAME.KEY=VALUE or KEY=VALUE, found '\(text)'")
            }
            let lhs = String(text[..<eq]), value = String(text[text.index(after: eq)...])
            let method: MethodDefinition, key: String
            if let named = listed.first(where: { lhs.hasPrefix($0.name + ".") }) {
                method = named; key = String(lhs.dropFirst(named.name.count + 1))
            } else {
                let owners = listed.filter { $0.parameter(lhs) != nil }
                guard owners.count == 1 else {
                    let all = listed.flatMap { m in m.parameters.map { "\(m.name).\($0.key)" } }
                    throw MethodError(owners.isEmpty
                        ? "--param \(text): none of the methods (\(listed.map(\.name).joined(separator: ", "))) has a hyperparameter '\(lhs)'"
                            + (all.isEmpty ? "; they take none" : "; theirs are \(all.joined(separator: ", "))")
                        : "--param \(text): '\(lhs)' belongs to \(owners.map(\.name).joined(separator: " and ")); write NAME.\(lhs)=VALUE")
                }
                method = owners[0]; key = lhs
            }
            guard let declared = method.parameter(key) else {
                throw MethodError("--param \(text): method '\(method.name)' has no hyperparameter '\(key)'"
                    + (method.parameters.isEmpty ? "" : "; expected \(method.parameters.map(\.key).joined(separator: ", "))"))
            }
            switch declared.parse(value) {
            case .success(let v): out[method.name, default: [:]][key] = v
            case .failure(let e): throw MethodError("--param \(text): method '\(method.name)': \(e.description)")
            }
        }
        return out
    }

    /// The one job that evaluates all of `methods`; an error when they need networks of
    /// different training methods.
    public static func singleJob(for methods: [String], parameters: [String: [String: ParameterValue]]) throws -> JobMethods {
        let jobs = try self.jobs(for: methods, parameters: parameters)
        guard jobs.count == 1 else {
            let names = jobs.map { training(recordedAs: $0.sampler)?.name ?? $0.sampler }
            throw MethodError("these methods train \(jobs.count) different networks (\(names.joined(separator: ", "))); "
                + "one imbench train run trains one: run them separately, or list them in a sweep config")
        }
        return jobs[0]
    }
}

extension MethodRegistry {
    /// How many training phases a job runs after its first (two-phase training, cRT): for
    /// cost estimates. Each trains the last layer(s) only, as long as the first phase unless
    /// its hyperparameters shorten it.
    public static func extraPhases(of config: JobConfig) -> Int {
        let listed = (config.derivedMethods ?? [:]).keys.filter {
            if case .phase = named($0)?.role { return true }; return false
        }.count
        return listed + (config.twoPhase ? 1 : 0)
    }
}

extension MethodRegistry {
    /// The decision rule of result `name` in a job of `config`: a post-hoc method's (with the
    /// job's hyperparameters for it), the arg-max for every other result. Names the registry
    /// does not know decide by the arg-max, or by thresholding when they end in
    /// "+thresholding".
    public static func decision(of name: String, in config: JobConfig) -> DecisionRule {
        guard let m = named(name) else { return name.hasSuffix("+thresholding") ? .thresholded : .argmax }
        guard case .postHoc(_, _, let recipe) = m.role else { return .argmax }
        let params = (try? resolve(m, config.derivedMethods?[m.name] ?? [:])) ?? [:]
        return recipe.decision(MethodContext(parameters: MethodParameters(params), classCounts: [],
                                             iterations: config.iterations, model: config.model))
    }
}
