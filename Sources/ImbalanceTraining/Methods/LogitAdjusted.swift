import ImbalanceNN

extension MethodDefinition {
    /// The logit-adjusted loss: cross-entropy on z_j + tau log pi_j during training; the
    /// network's own logits at test time.
    public static let logitAdjusted = MethodDefinition(
        name: "logit-adjusted", label: "Logit-adjusted loss", family: .loss,
        summary: "cross-entropy on logits shifted by tau log(prior) during training",
        reference: "Menon et al. 2021, Long-tail learning via logit adjustment (tau = 1)",
        parameters: [.real("tau", 1, min: 0, "scale of the log-prior offsets")],
        role: .training(TrainingRecipe(loss: { context in
            .constant(LogitAdjustedLoss.logitAdjusted(classCounts: context.classCounts,
                                                      tau: context.parameters.number("tau")))
        })))
}
