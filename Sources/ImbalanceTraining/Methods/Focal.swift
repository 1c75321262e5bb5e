import ImbalanceNN

extension MethodDefinition {
    /// Focal loss on the softmax, -(1 - p_y)^gamma log p_y, batch mean.
    public static let focal = MethodDefinition(
        name: "focal", label: "Focal loss", family: .loss,
        summary: "focal loss -(1 - p_y)^gamma log p_y: easy examples weigh less",
        reference: "Lin et al. 2017, Focal loss for dense object detection (gamma = 2)",
        parameters: [.real("gamma", 2, min: 0, "focusing parameter; 0 is cross-entropy (1 is also common in long-tail work)")],
        role: .training(TrainingRecipe(loss: { context in
            .constant(FocalLoss(gamma: context.parameters.number("gamma")))
        })))
}
