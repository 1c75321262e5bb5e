import ArgumentParser
import ImbalanceTraining

/// The job's method fields from `--method`/`--param` (the registry's names), or from the
/// older `--sampler`/`--two-phase` (which keep their records and ids).
func jobMethods(methods: [String], params: [String], sampler: String, twoPhase: Bool) throws -> JobMethods {
    do {
        if methods.isEmpty {
            let training = MethodRegistry.training(recordedAs: sampler) ?? MethodRegistry.named(sampler)
            guard let training, case .training = training.role else {
                throw MethodError("--sampler \(sampler): not a training method; use --method \(sampler)")
            }
            let parameters = try MethodRegistry.parseAssignments(params, methods: [training.name])
            var job = try MethodRegistry.singleJob(for: [training.name], parameters: parameters)
            job.twoPhase = twoPhase   // checked with the rest of the job by Experiment.validate
            return job
        }
        guard sampler == "none", !twoPhase else {
            throw MethodError("give the methods either with --method or with --sampler/--two-phase, not both")
        }
        return try MethodRegistry.singleJob(for: methods,
                                            parameters: MethodRegistry.parseAssignments(params, methods: methods))
    } catch let e as MethodError {
        throw ValidationError(e.description)
    }
}
