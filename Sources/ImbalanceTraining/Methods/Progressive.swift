extension MethodDefinition {
    /// Progressively balanced sampling: from instance-balanced to class-balanced over the
    /// run; cross-entropy.
    public static let progressive = MethodDefinition(
        name: "progressive", label: "Progressively balanced", family: .batchSampling,
        summary: "class probabilities move linearly from n_j / n to 1 / K over the run",
        reference: "Kang et al. 2020, Decoupling representation and classifier (progressively-balanced sampling)",
        role: .training(TrainingRecipe(batches: { _ in .progressive })))
}
