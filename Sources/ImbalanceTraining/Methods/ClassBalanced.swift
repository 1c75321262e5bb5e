import ImbalanceNN

extension MethodDefinition {
    /// Class-balanced cross-entropy: weights (1 - beta) / (1 - beta^n_j) scaled to sum K,
    /// loss sum_i w_{y_i} CE_i / N (their code's reduction).
    public static let classBalanced = MethodDefinition(
        name: "class-balanced", label: "Class-balanced CE", family: .reweighting,
        summary: "cross-entropy weighted by the inverse effective number of samples (1 - beta) / (1 - beta^n_j)",
        reference: "Cui et al. 2019, Class-balanced loss based on effective number of samples (beta = 0.9999 on CIFAR-LT)",
        parameters: [.real("beta", 0.9999, min: 0, max: 1, openMax: true,
                           "effective-number parameter; 0 gives uniform weights, near 1 inverse frequency")],
        role: .training(TrainingRecipe(loss: { context in
            .constant(WeightedCrossEntropyLoss(
                classWeights: ClassBalance.effectiveNumberWeights(classCounts: context.classCounts,
                                                                  beta: context.parameters.number("beta")),
                normalization: .batch))
        })))
}
