import ImbalanceNN

extension MethodDefinition {
    /// Balanced softmax: cross-entropy on z_j + log n_j during training (the logit-adjusted
    /// loss with tau = 1 in another form); the network's own logits at test time.
    public static let balancedSoftmax = MethodDefinition(
        name: "balanced-softmax", label: "Balanced softmax", family: .loss,
        summary: "cross-entropy on logits shifted by log n_j during training",
        reference: "Ren et al. 2020, Balanced meta-softmax for long-tailed visual recognition",
        role: .training(TrainingRecipe(loss: { context in
            .constant(LogitAdjustedLoss.balancedSoftmax(classCounts: context.classCounts))
        })))
}
