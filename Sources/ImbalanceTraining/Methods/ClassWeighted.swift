import ImbalanceData
import ImbalanceNN

extension MethodDefinition {
    /// Cross-entropy weighted by scikit-learn's "balanced" class weights n / (K n_j),
    /// averaged by the sum of the batch's weights (PyTorch's weighted mean): the loss-side
    /// counterpart of full oversampling, the common alternative in the related studies.
    public static let classWeighted = MethodDefinition(
        name: "class-weighted", label: "Class-weighted", family: .reweighting,
        summary: "cross-entropy with inverse-frequency class weights n / (K n_j)",
        reference: "scikit-learn's class_weight=\"balanced\", the weighting the related studies compare with", inBuda2018: true,
        role: .training(TrainingRecipe(loss: { context in
            .constant(CrossEntropyLoss(classWeights: classWeights(counts: context.classCounts)))
        })))
}
