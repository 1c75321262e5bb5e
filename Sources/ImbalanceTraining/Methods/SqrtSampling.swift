extension MethodDefinition {
    /// Square-root sampling: class j with probability proportional to sqrt(n_j); cross-entropy.
    public static let sqrtSampling = MethodDefinition(
        name: "sqrt-sampling", label: "Square-root sampling", family: .batchSampling,
        summary: "batches draw class j with probability proportional to sqrt(n_j)",
        reference: "Kang et al. 2020, Decoupling representation and classifier (square-root sampling)",
        role: .training(TrainingRecipe(batches: { _ in .classPower(exponent: 0.5) })))
}
