import ImbalanceNN

extension MethodDefinition {
    /// LDAM with deferred re-weighting, as the reference code (kaidic/LDAM-DRW) trains it:
    /// margins C / n_j^(1/4) with the largest 0.5, logits scaled by s = 30, a cosine
    /// classifier (`NormedLinear`) in place of the last fully connected layer; unweighted
    /// until the deferral point (epoch 160 of 200, i.e. 0.8 of the steps), then
    /// class-balanced weights with beta = 0.9999 and PyTorch's weighted mean.
    public static let ldamDRW = MethodDefinition(
        name: "LDAM-DRW", label: "LDAM-DRW", family: .loss,
        summary: "label-distribution-aware margins (rarer classes, larger margins), class-balanced weights from a deferral point on",
        reference: "Cao et al. 2019, Learning imbalanced datasets with label-distribution-aware margin loss (reference code kaidic/LDAM-DRW)",
        parameters: [
            .real("maxMargin", 0.5, min: 0, openMin: true, "the largest margin (of the rarest class)"),
            .real("scale", 30, min: 0, openMin: true, "s, the factor on the logits (30 for cosine logits in [-1, 1])"),
            .real("drwStart", 0.8, min: 0, max: 1, "fraction of the steps after which the class weights switch on (1 = never: plain LDAM)"),
            .real("beta", 0.9999, min: 0, max: 1, openMax: true, "effective-number parameter of the deferred weights"),
            .choice("classifier", "cosine", ["cosine", "linear"],
                    "cosine: the reference's normalised last layer; linear: the model's own (scale should then be about 1)"),
        ],
        role: .training(TrainingRecipe(
            loss: { context in
                let p = context.parameters
                let plain = LDAMLoss(classCounts: context.classCounts, maxMargin: p.number("maxMargin"),
                                     scale: p.number("scale"))
                let weighted = LDAMLoss(classCounts: context.classCounts, maxMargin: p.number("maxMargin"),
                                        scale: p.number("scale"),
                                        classWeights: ClassBalance.effectiveNumberWeights(classCounts: context.classCounts,
                                                                                          beta: p.number("beta")))
                let start = Int((p.number("drwStart") * Double(context.iterations)).rounded())
                if start <= 0 { return .constant(weighted) }
                if start >= context.iterations { return .constant(plain) }
                return LossSchedule(stages: [(0, plain), (start, weighted)])
            },
            classifier: { $0.parameters.text("classifier") == "cosine" ? .cosine : .model })))
}
