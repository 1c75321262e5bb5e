import ImbalanceNN

extension MethodDefinition {
    /// Class-balanced focal loss: the focal loss weighted by Cui et al.'s class weights,
    /// divided by the batch size. Their CIFAR script uses gamma = 1 with beta = 0.9999.
    public static let classBalancedFocal = MethodDefinition(
        name: "class-balanced-focal", label: "Class-balanced focal", family: .reweighting,
        summary: "focal loss weighted by the inverse effective number of samples",
        reference: "Cui et al. 2019 (their CIFAR-LT script: beta = 0.9999, gamma = 1; softmax focal form here)",
        parameters: [.real("beta", 0.9999, min: 0, max: 1, openMax: true, "effective-number parameter"),
                     .real("gamma", 1, min: 0, "focusing parameter")],
        role: .training(TrainingRecipe(loss: { context in
            .constant(FocalLoss(gamma: context.parameters.number("gamma"),
                                classWeights: ClassBalance.effectiveNumberWeights(classCounts: context.classCounts,
                                                                                  beta: context.parameters.number("beta")),
                                normalization: .batch))
        })))
}
